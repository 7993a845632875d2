import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import {
  CategoryConflictError,
  type BookingLine,
  type BookingLineRepository,
  type EventCategoryRepository,
  type Participant,
  type PaymentStatus,
  type TicketCategory,
} from '@aquastream/domain';
import { isUniqueViolation } from './unique-violation';

/** Statuses whose bookings hold their seats (a category's quota counts them). */
const HOLDING = ['PENDING', 'CONFIRMED'];

type CategoryRow = Database['event_categories'] extends infer T ? { [K in keyof T]: unknown } : never;

export const toCategory = (r: CategoryRow): TicketCategory => ({
  id: r.id as string,
  eventId: r.event_id as string,
  name: r.name as string,
  price: r.price_amount !== null && r.price_currency ? { amount: Number(r.price_amount), currency: (r.price_currency as string).trim() } : null,
  quota: r.quota as number | null,
  position: r.position as number,
  implicit: false,
  createdAt: new Date(r.created_at as string),
  updatedAt: new Date(r.updated_at as string),
});

export function createPgCategoryRepository(db: Kysely<Database>): EventCategoryRepository {
  return {
    async listOfEvent(eventId) {
      const rows = await db.selectFrom('event_categories').selectAll().where('event_id', '=', eventId).orderBy('position').execute();
      return rows.map(toCategory);
    },
    async insert(c) {
      try {
        await db
          .insertInto('event_categories')
          .values({
            id: c.id,
            event_id: c.eventId,
            name: c.name,
            price_amount: c.price?.amount ?? null,
            price_currency: c.price?.currency ?? null,
            quota: c.quota,
            position: c.position,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error, 'uq_event_categories_name')) throw new CategoryConflictError(c.eventId, c.name);
        throw error;
      }
    },
    async lockAndCountTaken(categoryIds) {
      const ids = [...new Set(categoryIds)].sort();
      // An UPDATE, not SELECT ... FOR UPDATE: it locks the row like one, and it also writes a new
      // version of it, so under REPEATABLE READ a booker whose snapshot predates another's commit
      // fails with a serialization error instead of counting from that stale snapshot. One row at
      // a time, in id order: every booker locks in the same order.
      for (const id of ids)
        await db
          .updateTable('event_categories')
          .set({ updated_at: sql`updated_at` })
          .where('id', '=', id)
          .execute();
      const rows = await db
        .selectFrom('booking_lines as l')
        .innerJoin('bookings as b', 'b.id', 'l.booking_id')
        .select(['l.category_id', sql<string>`sum(l.seats)`.as('seats')])
        .where('l.category_id', 'in', ids)
        .where('b.status', 'in', HOLDING)
        .groupBy('l.category_id')
        .execute();
      return new Map(rows.map((r) => [r.category_id!, Number(r.seats)]));
    },
    async taken(eventId) {
      const rows = await db
        .selectFrom('booking_lines as l')
        .innerJoin('bookings as b', 'b.id', 'l.booking_id')
        .select(['l.category_id', sql<string>`sum(l.seats)`.as('seats')])
        .where('b.event_id', '=', eventId)
        .where('l.category_id', 'is not', null)
        .where('b.status', 'in', HOLDING)
        .groupBy('l.category_id')
        .execute();
      return new Map(rows.map((r) => [r.category_id!, Number(r.seats)]));
    },
    async tally(eventId) {
      // A booking counts by its lines while they describe it (the same seats and amount); one without
      // (0.1.0 made it) or whose lines 0.1.0's reduction left behind counts in the implicit category
      // at its own amount, so the sums always equal those of the bookings (the summary's revenue).
      const rows = await sql<{
        category_id: string;
        payment_status: string;
        currency: string | null;
        bookings: string;
        seats: string;
        gross: string;
        discount: string;
      }>`
        WITH b AS (
          SELECT b.id, b.event_id, b.payment_status, b.currency, b.seats, coalesce(b.amount, 0) AS amount,
                 lt.seats = b.seats AND lt.amount = coalesce(b.amount, 0) AS lined
          FROM bookings b
          LEFT JOIN (SELECT booking_id, sum(seats) AS seats, sum(unit_price * seats - discount) AS amount FROM booking_lines GROUP BY booking_id) lt
            ON lt.booking_id = b.id
          WHERE b.event_id = ${eventId}
        )
        SELECT coalesce(l.category_id, b.event_id) AS category_id, b.payment_status,
               CASE WHEN b.lined THEN coalesce(l.currency, b.currency) ELSE b.currency END AS currency,
               count(DISTINCT b.id) AS bookings,
               coalesce(sum(CASE WHEN b.lined THEN l.seats ELSE b.seats END), 0) AS seats,
               coalesce(sum(CASE WHEN b.lined THEN l.unit_price * l.seats ELSE b.amount END), 0) AS gross,
               coalesce(sum(CASE WHEN b.lined THEN l.discount ELSE 0 END), 0) AS discount
        FROM b LEFT JOIN booking_lines l ON l.booking_id = b.id AND b.lined
        GROUP BY 1, 2, 3`.execute(db);
      return rows.rows.map((r) => ({
        categoryId: r.category_id,
        paymentStatus: r.payment_status as PaymentStatus,
        currency: r.currency?.trim() ?? null,
        bookings: Number(r.bookings),
        seats: Number(r.seats),
        gross: Number(r.gross),
        discount: Number(r.discount),
        amount: Number(r.gross) - Number(r.discount),
      }));
    },
  };
}

const toParticipants = (value: unknown): Participant[] => (typeof value === 'string' ? JSON.parse(value) : (value ?? [])) as Participant[];

/** Lines name the implicit category of an event without categories by the event's id; the column holds null for it. */
const categoryColumn = (eventId: string, categoryId: string) => (categoryId === eventId ? null : categoryId);

/** The lines' columns, participants as they are (see bookingColumns). */
export const lineColumns = (entries: Parameters<BookingLineRepository['insertMany']>[0]) =>
  entries.flatMap(({ booking, lines }) =>
    lines.map((l, i) => ({
      booking_id: booking.id,
      line_no: i,
      category_id: categoryColumn(booking.eventId, l.categoryId),
      seats: l.seats,
      unit_price: l.unitPrice,
      discount: l.discount,
      currency: l.currency,
      participants: l.participants as unknown,
    })),
  );

export function createPgBookingLineRepository(db: Kysely<Database>): BookingLineRepository {
  const insertMany: BookingLineRepository['insertMany'] = async (entries) => {
    const rows = lineColumns(entries).map((r) => ({ ...r, participants: JSON.stringify(r.participants) }));
    if (rows.length) await db.insertInto('booking_lines').values(rows).execute();
  };
  return {
    insert: (booking, lines) => insertMany([{ booking, lines }]),
    insertMany,
    async ofBooking(booking) {
      const rows = await db.selectFrom('booking_lines').selectAll().where('booking_id', '=', booking.id).orderBy('line_no').execute();
      return rows.map((r): BookingLine => ({
        categoryId: r.category_id ?? booking.eventId,
        seats: r.seats,
        unitPrice: Number(r.unit_price),
        discount: Number(r.discount),
        currency: r.currency?.trim() ?? null,
        participants: toParticipants(r.participants),
      }));
    },
    async update(booking, lines) {
      for (const [i, l] of lines.entries())
        await db
          .updateTable('booking_lines')
          .set({ seats: l.seats, discount: l.discount, participants: JSON.stringify(l.participants) })
          .where('booking_id', '=', booking.id)
          .where('line_no', '=', i)
          .execute();
    },
  };
}
