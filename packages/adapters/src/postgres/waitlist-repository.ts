import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import { WaitlistConflictError, type WaitlistRepository } from '@aquastream/domain';
import { toWaitlistEntry } from './rows';
import { isUniqueViolation } from './unique-violation';

const OPEN = ['WAITING', 'OFFERED'];

export function createPgWaitlistRepository(db: Kysely<Database>): WaitlistRepository {
  const entries = () => db.selectFrom('waitlist').select(['id', 'event_id', 'user_id', 'status', 'offer_expires_at', 'seats', 'created_at', 'updated_at']);
  return {
    async findEntry(eventId, userId) {
      const row = await db
        .selectFrom('waitlist as w')
        .select(['w.id', 'w.event_id', 'w.user_id', 'w.status', 'w.offer_expires_at', 'w.seats', 'w.created_at', 'w.updated_at'])
        .select(
          sql<
            string | null
          >`CASE WHEN w.status = 'WAITING' THEN (SELECT count(*) FROM waitlist x WHERE x.event_id = w.event_id AND x.status = 'WAITING' AND x.seq <= w.seq) END`.as(
            'position',
          ),
        )
        .where('w.event_id', '=', eventId)
        .where('w.user_id', '=', userId)
        // The open entry if there is one, else the latest closed one.
        .orderBy(sql`CASE WHEN w.status IN ('WAITING', 'OFFERED') THEN 0 ELSE 1 END`)
        .orderBy('w.seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toWaitlistEntry(row) : null;
    },
    async insert(e) {
      try {
        await db
          .insertInto('waitlist')
          .values({
            id: e.id,
            event_id: e.eventId,
            user_id: e.userId,
            status: e.status,
            offer_expires_at: e.offerExpiresAt,
            seats: e.seats,
            created_at: e.createdAt,
            updated_at: e.updatedAt,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error, 'uq_waitlist_open')) throw new WaitlistConflictError(e.eventId, 'you are already in line');
        throw error;
      }
    },
    async update(e) {
      await db
        .updateTable('waitlist')
        .set({ status: e.status, offer_expires_at: e.offerExpiresAt, seats: e.seats, updated_at: e.updatedAt })
        .where('id', '=', e.id)
        .execute();
    },
    async lockWaiting(eventId, limit) {
      const rows = await entries().where('event_id', '=', eventId).where('status', '=', 'WAITING').orderBy('seq').limit(limit).forUpdate().execute();
      return rows.map(toWaitlistEntry);
    },
    async lockExpiredOffers(now, limit) {
      const rows = await entries()
        .where('status', '=', 'OFFERED')
        .where('offer_expires_at', '<=', now)
        .orderBy('offer_expires_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map(toWaitlistEntry);
    },
    async closeAll(eventId, now) {
      const result = await db
        .updateTable('waitlist')
        .set({ status: 'EXPIRED', offer_expires_at: null, updated_at: now })
        .where('event_id', '=', eventId)
        .where('status', 'in', OPEN)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async countOpen(eventId) {
      const row = await db
        .selectFrom('waitlist')
        .select([
          sql<string>`count(*) FILTER (WHERE status = 'WAITING')`.as('waiting'),
          sql<string>`count(*) FILTER (WHERE status = 'OFFERED')`.as('offered'),
          sql<string>`coalesce(sum(seats) FILTER (WHERE status = 'WAITING'), 0)`.as('waiting_seats'),
          sql<string>`coalesce(sum(seats) FILTER (WHERE status = 'OFFERED'), 0)`.as('offered_seats'),
        ])
        .where('event_id', '=', eventId)
        .where('status', 'in', OPEN)
        .executeTakeFirstOrThrow();
      return { waiting: Number(row.waiting), offered: Number(row.offered), waitingSeats: Number(row.waiting_seats), offeredSeats: Number(row.offered_seats) };
    },
  };
}
