import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '@aquastream/db';

/** How long finished rows are kept, per table (0: forever), and how many rows one statement deletes. */
export interface RetentionOptions {
  outboxMs: number;
  processedMessagesMs: number;
  batch: number;
  /** Batches per table and run, so one job tick stays bounded however large the backlog. */
  maxBatches: number;
}

export type RetainedTable = 'outbox' | 'processed_messages';

export interface Retention {
  /** Deletes finished rows past their retention, in batches; the rows deleted per table. */
  purge(now: Date): Promise<Record<RetainedTable, number>>;
  /** Rows past their retention still there, per table, counted up to `cap` (a cheap, bounded read). */
  overdue(now: Date, cap?: number): Promise<Record<RetainedTable, number>>;
  /** Every table of the schema with its indexes and TOAST, in bytes (pg_total_relation_size). */
  tableSizes(): Promise<{ table: string; bytes: number }[]>;
}

interface Rule {
  table: RetainedTable;
  keepMs: number;
  /** DELETE of at most `limit` rows finished before `cutoff`, skipping rows another session holds. */
  purge(cutoff: Date, limit: number): RawBuilder<unknown>;
  overdue(cutoff: Date, cap: number): RawBuilder<{ n: string }>;
}

/**
 * The retention job's statements. Each batch is one short statement: the rows it picks are locked
 * with SKIP LOCKED, so replicas running it at once take disjoint batches instead of queueing behind
 * each other, and a row a request is touching right now waits for a later run. Shipped outbox rows
 * (published_at set) and processed-message ids are never read again by the service after their
 * retention (0.1.0 reads neither), so deleting them changes no behaviour.
 */
export function createPgRetention(db: Kysely<Database>, options: RetentionOptions): Retention {
  const rules: Rule[] = [
    {
      table: 'outbox',
      keepMs: options.outboxMs,
      purge: (cutoff, limit) => sql`
        DELETE FROM outbox WHERE ctid IN (
          SELECT ctid FROM outbox WHERE published_at < ${cutoff}
          ORDER BY published_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
      overdue: (cutoff, cap) => sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT 1 FROM outbox WHERE published_at < ${cutoff} LIMIT ${cap}) s`,
    },
    {
      table: 'processed_messages',
      keepMs: options.processedMessagesMs,
      purge: (cutoff, limit) => sql`
        DELETE FROM processed_messages WHERE ctid IN (
          SELECT ctid FROM processed_messages WHERE processed_at < ${cutoff}
          ORDER BY processed_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
      overdue: (cutoff, cap) => sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT 1 FROM processed_messages WHERE processed_at < ${cutoff} LIMIT ${cap}) s`,
    },
  ];
  const kept = rules.filter((r) => r.keepMs > 0);
  const none = (): Record<RetainedTable, number> => ({ outbox: 0, processed_messages: 0 });

  return {
    async purge(now) {
      const deleted = none();
      for (const rule of kept) {
        const cutoff = new Date(now.getTime() - rule.keepMs);
        for (let batch = 0; batch < options.maxBatches; batch++) {
          const result = await rule.purge(cutoff, options.batch).execute(db);
          const count = Number(result.numAffectedRows ?? 0n);
          deleted[rule.table] += count;
          if (count < options.batch) break;
        }
      }
      return deleted;
    },
    async overdue(now, cap = 10_000) {
      const counts = none();
      for (const rule of kept) {
        const { rows } = await rule.overdue(new Date(now.getTime() - rule.keepMs), cap).execute(db);
        counts[rule.table] = Number(rows[0]?.n ?? 0);
      }
      return counts;
    },
    async tableSizes() {
      const { rows } = await sql<{ table: string; bytes: string }>`
        SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes
        FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
        ORDER BY c.relname`.execute(db);
      return rows.map((r) => ({ table: r.table, bytes: Number(r.bytes) }));
    },
  };
}
