import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '@aquastream/db';
import { BookingConflictError, type BookingBatchStore } from '@aquastream/domain';
import { standingsByUser } from './booking-repository';
import { lineColumns, toCategory } from './category-repository';
import { selectEvents } from './event-repository';
import { outboxColumns } from './outbox';
import { bookingColumns, toEvent, type EventRow } from './rows';
import { isUniqueViolation } from './unique-violation';

type Written = 'bookings' | 'booking_lines' | 'outbox';

/**
 * `INSERT INTO table (columns) SELECT columns FROM jsonb_populate_recordset(NULL::table, rows)`,
 * only when the seats were taken (the `taken` CTE): every row in one parameter, typed by the
 * table's own row type, so a batch of any size is one short statement.
 */
function insertRows(table: Written, rows: readonly Record<string, unknown>[]): RawBuilder<unknown> {
  const columns = sql.join(Object.keys(rows[0]!).map((c) => sql.ref(c)));
  return sql`INSERT INTO ${sql.table(table)} (${columns})
    SELECT ${columns} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb)
    WHERE EXISTS (SELECT FROM taken)`;
}

/**
 * A batch of plain bookings in two statements: one read (the event, its categories and the
 * bookers' standings) and one write (the seats taken by the conditional UPDATE of the event's row,
 * and the bookings, lines and outbox rows inserted only if it took them). With BEGIN and COMMIT,
 * four round trips where one call per repository took nine.
 */
export function createPgBookingBatchStore(db: Kysely<Database>): BookingBatchStore {
  return {
    async read(eventId, userIds, lock) {
      const users = [...userIds];
      let query = selectEvents(db)
        .select([
          sql<Record<string, unknown>[]>`(SELECT coalesce(json_agg(c ORDER BY c.position), '[]') FROM event_categories c WHERE c.event_id = e.id)`.as(
            'batch_categories',
          ),
          sql<{ user_id: string; booking_id: string | null; offered: boolean }[]>`(SELECT coalesce(json_agg(s), '[]') FROM (
            SELECT b.user_id, b.id AS booking_id, false AS offered FROM bookings b
              WHERE b.event_id = e.id AND b.user_id = ANY(${users}) AND b.status IN ('PENDING', 'CONFIRMED')
            UNION ALL
            SELECT w.user_id, NULL, true FROM waitlist w
              WHERE w.event_id = e.id AND w.user_id = ANY(${users}) AND w.status = 'OFFERED') s)`.as('batch_standings'),
        ])
        .where('e.id', '=', eventId);
      if (lock) query = query.forUpdate('e');
      const row = await query.executeTakeFirst();
      if (!row) return { event: null, categories: [], standings: new Map() };
      return {
        event: toEvent(row as EventRow),
        categories: row.batch_categories.map((c) => toCategory(c as Parameters<typeof toCategory>[0])),
        standings: standingsByUser(row.batch_standings),
      };
    },
    async write(eventId, seats, now, booked, events) {
      const lines = lineColumns(booked);
      const inserts: [string, RawBuilder<unknown>][] = [];
      if (booked.length)
        inserts.push([
          'written_bookings',
          insertRows(
            'bookings',
            booked.map((b) => bookingColumns(b.booking)),
          ),
        ]);
      if (lines.length) inserts.push(['written_lines', insertRows('booking_lines', lines)]);
      if (events.length) inserts.push(['written_outbox', insertRows('outbox', outboxColumns(events))]);
      // Data-modifying CTEs run once each, referenced or not; the lines' foreign key to their
      // booking is checked at the end of the statement, when both are in.
      const ctes = inserts.map(([name, insert]) => sql`, ${sql.ref(name)} AS (${insert})`);
      try {
        const { rows } = await sql<{ taken: boolean }>`WITH taken AS (
            UPDATE events SET available = available - ${seats}, updated_at = ${now}
            WHERE id = ${eventId} AND available >= ${seats} RETURNING id
          )${sql.join(ctes, sql``)}
          SELECT EXISTS (SELECT FROM taken) AS taken`.execute(db);
        return rows[0]!.taken;
      } catch (error) {
        // A concurrent request of one of the bookers won the race for the unique active booking.
        if (isUniqueViolation(error, 'uq_bookings_active')) throw new BookingConflictError(eventId, null);
        throw error;
      }
    },
  };
}
