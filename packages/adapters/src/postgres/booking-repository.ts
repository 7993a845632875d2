import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '@aquastream/db';
import {
  ATTENDEE_STATUSES,
  BookingConflictError,
  toPage,
  type Booking,
  type BookingRepository,
  type Page,
  type PageRequest,
  type BookingStatus,
  type PaymentStatus,
  type SeatStanding,
} from '@aquastream/domain';
import { fromBooking, toBooking } from './rows';
import { isUniqueViolation } from './unique-violation';

const ACTIVE = ['PENDING', 'CONFIRMED'];

/** The seats of a group of bookings, as the domain's `seatsOf` counts them. */
const SEATS = sql<string>`sum(seats)`;

/** One page of bookings in creation order (`desc`: newest first), with the total the filter matches. */
async function pageOf(q: SelectQueryBuilder<Database, 'bookings', object>, order: 'asc' | 'desc', page: PageRequest): Promise<Page<Booking>> {
  const [rows, count] = await Promise.all([
    q
      .selectAll()
      .orderBy('created_at', order)
      .orderBy('id')
      .limit(page.size)
      .offset((page.page - 1) * page.size)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return toPage(rows.map(toBooking), Number(count.n), page);
}

/** Rows of bookers' active bookings and offers (one row each), folded into their standings. */
export function standingsByUser(rows: readonly { user_id: string; booking_id: string | null; offered: boolean }[]): Map<string, SeatStanding> {
  const byUser = new Map<string, SeatStanding>();
  for (const row of rows) {
    const standing = byUser.get(row.user_id) ?? { activeBookingId: null, offered: false };
    if (row.booking_id) standing.activeBookingId = row.booking_id;
    if (row.offered) standing.offered = true;
    byUser.set(row.user_id, standing);
  }
  return byUser;
}

export function createPgBookingRepository(db: Kysely<Database>): BookingRepository {
  const bookings = () => db.selectFrom('bookings').selectAll();
  return {
    async findById(id) {
      const row = await bookings().where('id', '=', id).executeTakeFirst();
      return row ? toBooking(row) : null;
    },
    async findByIdForUpdate(id) {
      const row = await bookings().where('id', '=', id).forUpdate().executeTakeFirst();
      return row ? toBooking(row) : null;
    },
    async findByPaymentIdForUpdate(paymentId) {
      const row = await bookings().where('payment_id', '=', paymentId).forUpdate().executeTakeFirst();
      return row ? toBooking(row) : null;
    },
    async findActive(eventId, userId) {
      const row = await bookings().where('event_id', '=', eventId).where('user_id', '=', userId).where('status', 'in', ACTIVE).executeTakeFirst();
      return row ? toBooking(row) : null;
    },
    async standing(eventId, userId) {
      // One round trip: most requests of a booking rush end here (the event is full).
      const row = await db
        .selectNoFrom((eb) => [
          eb
            .selectFrom('bookings')
            .select('id')
            .where('event_id', '=', eventId)
            .where('user_id', '=', userId)
            .where('status', 'in', ACTIVE)
            .limit(1)
            .as('booking_id'),
          eb
            .exists(
              eb
                .selectFrom('waitlist')
                .select(eb.lit(1).as('one'))
                .where('event_id', '=', eventId)
                .where('user_id', '=', userId)
                .where('status', '=', 'OFFERED'),
            )
            .as('offered'),
        ])
        .executeTakeFirstOrThrow();
      return { activeBookingId: row.booking_id ?? null, offered: Boolean(row.offered) };
    },
    async standingsOf(eventId, userIds) {
      if (userIds.length === 0) return new Map();
      // One round trip for a whole batch of bookers: their active bookings and their offers.
      const rows = await db
        .selectFrom('bookings')
        .select(['user_id', sql<string | null>`id`.as('booking_id'), sql<boolean>`false`.as('offered')])
        .where('event_id', '=', eventId)
        .where('user_id', 'in', [...userIds])
        .where('status', 'in', ACTIVE)
        .unionAll(
          db
            .selectFrom('waitlist')
            .select(['user_id', sql<string | null>`null`.as('booking_id'), sql<boolean>`true`.as('offered')])
            .where('event_id', '=', eventId)
            .where('user_id', 'in', [...userIds])
            .where('status', '=', 'OFFERED'),
        )
        .execute();
      return standingsByUser(rows);
    },
    async standings(eventId) {
      // Read when an event is full: who may still get past the refusal (a conflict to report, an offer to claim).
      const [booked, offered] = await Promise.all([
        db.selectFrom('bookings').select(['user_id', 'id']).where('event_id', '=', eventId).where('status', 'in', ACTIVE).execute(),
        db.selectFrom('waitlist').select('user_id').where('event_id', '=', eventId).where('status', '=', 'OFFERED').execute(),
      ]);
      const byUser = new Map<string, { userId: string; activeBookingId: string | null; offered: boolean }>();
      for (const row of booked) byUser.set(row.user_id, { userId: row.user_id, activeBookingId: row.id, offered: false });
      for (const row of offered) {
        const known = byUser.get(row.user_id);
        if (known) known.offered = true;
        else byUser.set(row.user_id, { userId: row.user_id, activeBookingId: null, offered: true });
      }
      return [...byUser.values()];
    },
    async list(f, page) {
      let q = db.selectFrom('bookings');
      if (f.userId) q = q.where('user_id', '=', f.userId);
      if (f.eventId) q = q.where('event_id', '=', f.eventId);
      if (f.status) q = q.where('status', '=', f.status);
      return pageOf(q, 'desc', page);
    },
    async listAttendeesOfEvent(eventId, page) {
      const q = db.selectFrom('bookings').where('event_id', '=', eventId).where('status', 'in', ATTENDEE_STATUSES);
      return pageOf(q, 'asc', page);
    },
    async attendeesOfEventAfter(eventId, after, limit) {
      let q = bookings().where('event_id', '=', eventId).where('status', 'in', ATTENDEE_STATUSES);
      // The cursor's own stored values, not the Date it came back as: a JavaScript Date has no
      // microseconds, and a created_at that has them would send its row twice.
      if (after) q = q.where(sql<boolean>`(created_at, id) > (SELECT c.created_at, c.id FROM bookings c WHERE c.id = ${after.id})`);
      const rows = await q.orderBy('created_at').orderBy('id').limit(limit).execute();
      return rows.map(toBooking);
    },
    async tally(eventId) {
      const rows = await db
        .selectFrom('bookings')
        .select([
          'status',
          'payment_status',
          'currency',
          sql<boolean>`checked_in_at IS NOT NULL`.as('checked_in'),
          (eb) => eb.fn.countAll<string>().as('bookings'),
          SEATS.as('seats'),
          sql<string>`coalesce(sum(amount), 0)`.as('amount'),
        ])
        .where('event_id', '=', eventId)
        .groupBy(['status', 'payment_status', 'currency', sql`checked_in_at IS NOT NULL`])
        .execute();
      return rows.map((r) => ({
        status: r.status as BookingStatus,
        paymentStatus: r.payment_status as PaymentStatus,
        currency: r.currency?.trim() ?? null,
        checkedIn: Boolean(r.checked_in),
        bookings: Number(r.bookings),
        seats: Number(r.seats),
        amount: Number(r.amount),
      }));
    },
    async insert(booking) {
      try {
        await db.insertInto('bookings').values(fromBooking(booking)).execute();
      } catch (error) {
        // A concurrent request of the same user won the race for the unique active booking.
        if (isUniqueViolation(error, 'uq_bookings_active')) throw new BookingConflictError(booking.eventId, null);
        throw error;
      }
    },
    async insertMany(many) {
      if (many.length === 0) return;
      try {
        await db.insertInto('bookings').values(many.map(fromBooking)).execute();
      } catch (error) {
        if (isUniqueViolation(error, 'uq_bookings_active')) throw new BookingConflictError(many[0]!.eventId, null);
        throw error;
      }
    },
    async update(booking) {
      const { id, created_at: _created, ...values } = fromBooking(booking);
      await db.updateTable('bookings').set(values).where('id', '=', id).execute();
    },
    async lockExpired(now, limit) {
      const rows = await bookings()
        .where('status', '=', 'PENDING')
        .where('payment_status', '!=', 'PROCESSING')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map(toBooking);
    },
    async lockActiveOfEvent(eventId) {
      const rows = await bookings().where('event_id', '=', eventId).where('status', 'in', ACTIVE).orderBy('created_at').forUpdate().execute();
      return rows.map(toBooking);
    },
    async lockRefundsDue(now, limit) {
      const rows = await bookings()
        .where((eb) => eb.or([eb('payment_status', '=', 'REFUND_PENDING'), eb('partial_refund_amount', 'is not', null)]))
        .where((eb) => eb.or([eb('refund_due_at', 'is', null), eb('refund_due_at', '<=', now)]))
        .orderBy(sql`refund_due_at NULLS FIRST`)
        .orderBy('updated_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map(toBooking);
    },
  };
}
