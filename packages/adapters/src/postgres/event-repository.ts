import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import { toPage, type EventRepository } from '@aquastream/domain';
import { fromEvent, toEvent, type EventRow } from './rows';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Events with their locations, in the columns toEvent reads. */
export function selectEvents(db: Kysely<Database>) {
  return db
    .selectFrom('events as e')
    .leftJoin('locations as l', 'l.id', 'e.location_id')
    .select([
      'e.id',
      'e.title',
      'e.description',
      'e.start_date',
      'e.end_date',
      'e.location_id',
      'e.capacity',
      'e.available',
      'e.status',
      'e.organizer_id',
      'e.price_amount',
      'e.price_currency',
      'e.refund_until_hours',
      'e.time_zone',
      'e.version',
      'e.max_seats_per_booking',
      'e.waitlist_allows_passing',
      'e.waitlist_held',
      'e.created_at',
      'e.updated_at',
      'l.name as l_name',
      'l.address as l_address',
      'l.latitude as l_latitude',
      'l.longitude as l_longitude',
      'l.created_at as l_created_at',
    ]);
}

export function createPgEventRepository(db: Kysely<Database>): EventRepository {
  return {
    async findById(id) {
      const row = await selectEvents(db).where('e.id', '=', id).executeTakeFirst();
      return row ? toEvent(row as EventRow) : null;
    },
    async findByIdForUpdate(id) {
      const row = await selectEvents(db).where('e.id', '=', id).forUpdate('e').executeTakeFirst();
      return row ? toEvent(row as EventRow) : null;
    },
    async list(f, page) {
      let q = selectEvents(db);
      if (f.allDrafts !== true)
        q = q.where((eb) => (f.draftsOf ? eb.or([eb('e.status', '!=', 'DRAFT'), eb('e.organizer_id', '=', f.draftsOf)]) : eb('e.status', '!=', 'DRAFT')));
      if (f.status) q = q.where('e.status', '=', f.status);
      if (f.from) q = q.where('e.start_date', '>=', f.from);
      if (f.to) q = q.where('e.start_date', '<=', f.to);
      if (f.locationId) q = q.where('e.location_id', '=', f.locationId);
      if (f.organizerId) q = q.where('e.organizer_id', '=', f.organizerId);
      const hidden = f.hiddenOrganizers;
      if (hidden?.length) q = q.where((eb) => eb.or([eb('e.organizer_id', 'is', null), eb('e.organizer_id', 'not in', [...hidden])]));
      if (f.search) {
        const pattern = `%${escapeLike(f.search)}%`;
        q = q.where((eb) => eb.or([eb('e.title', 'ilike', pattern), eb('e.description', 'ilike', pattern), eb('l.name', 'ilike', pattern)]));
      }
      const [rows, count] = await Promise.all([
        q
          .orderBy('e.start_date')
          .orderBy('e.id')
          .limit(page.size)
          .offset((page.page - 1) * page.size)
          .execute(),
        q
          .clearSelect()
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return toPage(
        rows.map((r) => toEvent(r as EventRow)),
        Number(count.n),
        page,
      );
    },
    async insert(event) {
      await db.insertInto('events').values(fromEvent(event)).execute();
    },
    async update(event, options) {
      const { id, created_at: _created, ...values } = fromEvent(event);
      // The version is the trigger's (0012): it moves on every UPDATE. Compared here, in the same
      // statement, a concurrent change committed first leaves no row to update.
      let update = db.updateTable('events').set(values).where('id', '=', id);
      if (options?.expectedVersion !== undefined) update = update.where('version', '=', options.expectedVersion);
      const result = await update.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async takeSeats(eventId, seats, now) {
      // A single conditional UPDATE is atomic: the row lock serializes concurrent bookers on any replica.
      const result = await db
        .updateTable('events')
        .set({ available: sql`available - ${seats}`, updated_at: now })
        .where('id', '=', eventId)
        .where('available', '>=', seats)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async findEnded(now, limit) {
      const rows = await db
        .selectFrom('events')
        .select('id')
        .where('status', '=', 'PUBLISHED')
        .where('end_date', '<=', now)
        .orderBy('end_date')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
