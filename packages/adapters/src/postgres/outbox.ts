import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import { context, propagation } from '@opentelemetry/api';
import type { DomainEvent, Outbox } from '@aquastream/domain';
import type { OutboxMessage, OutboxStore } from '../messaging/ports';

/** The events' outbox columns, payload and trace context as they are (see bookingColumns). */
export function outboxColumns(events: readonly DomainEvent[]) {
  // Empty unless tracing is on: the propagator is a no-op without an SDK.
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const traceContext = Object.keys(carrier).length ? carrier : null;
  return events.map((e) => ({
    id: e.id,
    aggregate_type: e.aggregateType,
    aggregate_id: e.aggregateId,
    type: e.type,
    payload: e.data as unknown,
    occurred_at: e.occurredAt,
    trace_context: traceContext,
  }));
}

export function createPgOutbox(db: Kysely<Database>): Outbox {
  return {
    async add(events) {
      if (events.length === 0) return;
      await db
        .insertInto('outbox')
        .values(
          outboxColumns(events).map((r) => ({
            ...r,
            payload: JSON.stringify(r.payload),
            trace_context: r.trace_context && JSON.stringify(r.trace_context),
          })),
        )
        .execute();
    },
  };
}

// Any constant works; it names the relay's lock in pg_locks.
const RELAY_LOCK = 4_242_001;

export function createPgOutboxStore(db: Kysely<Database>): OutboxStore {
  return {
    relayBatch(limit, publish) {
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`.execute(trx);
        if (!rows[0]?.locked) return 0;
        const pending = await trx.selectFrom('outbox').selectAll().where('published_at', 'is', null).orderBy('seq').limit(limit).execute();
        if (pending.length === 0) return 0;
        // Rows are read back as the domain wrote them: the catalogue's type goes with its payload.
        const messages = pending.map((r) => ({
          seq: String(r.seq),
          id: r.id,
          type: r.type,
          aggregateType: r.aggregate_type as DomainEvent['aggregateType'],
          aggregateId: r.aggregate_id,
          occurredAt: new Date(r.occurred_at as Date),
          data: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
          attempts: r.attempts,
          traceContext: (typeof r.trace_context === 'string' ? JSON.parse(r.trace_context) : r.trace_context) as Record<string, string> | null,
        })) as unknown as OutboxMessage[];
        const sent = await publish(messages);
        if (sent.length > 0)
          await trx
            .updateTable('outbox')
            .set({ published_at: new Date() })
            .where(
              'seq',
              'in',
              sent.map((m) => m.seq),
            )
            .execute();
        return sent.length;
      });
    },
    async recordFailure(seqs, error) {
      if (seqs.length === 0) return;
      await db
        .updateTable('outbox')
        .set({ attempts: sql`attempts + 1`, last_error: error.slice(0, 1000) })
        .where('seq', 'in', seqs)
        .execute();
    },
    async backlog(now) {
      const row = await db
        .selectFrom('outbox')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('occurred_at').as('oldest')])
        .where('published_at', 'is', null)
        .executeTakeFirstOrThrow();
      const oldest = row.oldest ? new Date(row.oldest as Date) : null;
      return { messages: Number(row.n), oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0 };
    },
  };
}
