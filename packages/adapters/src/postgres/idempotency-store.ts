import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';

/**
 * Remembered answers for Idempotency-Key (the HTTP status and body of the first request); the same
 * key and body returns the same answer. An HTTP concern, so it lives here and not in the domain.
 */
export interface IdempotencyStore {
  begin(scope: string, key: string, requestHash: string, now: Date): Promise<IdempotencyBegin>;
  complete(scope: string, key: string, response: { status: number; body: unknown }): Promise<void>;
  abandon(scope: string, key: string): Promise<void>;
  /** Forgets keys older than the store's time to live; safe to run on every replica at once. Returns how many went. */
  purgeExpired(now: Date): Promise<number>;
}

export type IdempotencyBegin = { state: 'new' } | { state: 'replay'; status: number; body: unknown } | { state: 'in-progress' } | { state: 'mismatch' };

/** A claim older than this is considered abandoned (its request died mid-way) and may be retried. */
const STALE_CLAIM_MS = 60_000;
/** Rows one cleanup statement deletes: short statements keep row locks and WAL bursts small. */
const PURGE_BATCH = 1_000;
/** Batches per purge call, so one job tick stays bounded however large the backlog. */
const PURGE_MAX_BATCHES = 20;

export interface IdempotencyStoreOptions {
  /** How long a key is remembered; an older key is treated as never used. */
  ttlMs: number;
}

export function createPgIdempotencyStore(db: Kysely<Database>, { ttlMs }: IdempotencyStoreOptions): IdempotencyStore {
  return {
    async begin(scope, key, requestHash, now) {
      const expiredBefore = new Date(now.getTime() - ttlMs);
      // The primary key makes the claim atomic: of two concurrent requests only one inserts. An
      // expired key is claimed afresh in the same statement, as if the cleanup job had run already.
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ scope, key, request_hash: requestHash, status: 'IN_PROGRESS', response_status: null, response_body: null, created_at: now })
        .onConflict((oc) =>
          oc
            .columns(['scope', 'key'])
            .doUpdateSet({ request_hash: requestHash, status: 'IN_PROGRESS', response_status: null, response_body: null, created_at: now })
            .where('idempotency_keys.created_at', '<', expiredBefore),
        )
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { state: 'new' };
      const row = await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      if (!row) return this.begin(scope, key, requestHash, now);
      if (row.request_hash !== requestHash) return { state: 'mismatch' };
      if (row.status === 'DONE') {
        const body = typeof row.response_body === 'string' ? JSON.parse(row.response_body) : row.response_body;
        return { state: 'replay', status: row.response_status ?? 200, body };
      }
      if (now.getTime() - new Date(row.created_at as Date).getTime() > STALE_CLAIM_MS) {
        const taken = await db
          .updateTable('idempotency_keys')
          .set({ created_at: now })
          .where('scope', '=', scope)
          .where('key', '=', key)
          .where('status', '=', 'IN_PROGRESS')
          .where('created_at', '=', row.created_at)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 1) return { state: 'new' };
      }
      return { state: 'in-progress' };
    },
    async complete(scope, key, response) {
      await db
        .updateTable('idempotency_keys')
        .set({ status: 'DONE', response_status: response.status, response_body: JSON.stringify(response.body) })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
    },
    async abandon(scope, key) {
      await db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).where('status', '=', 'IN_PROGRESS').execute();
    },
    async purgeExpired(now) {
      const expiredBefore = new Date(now.getTime() - ttlMs);
      let purged = 0;
      for (let batch = 0; batch < PURGE_MAX_BATCHES; batch++) {
        // SKIP LOCKED: replicas running the job at once take disjoint batches instead of queueing
        // behind each other, and a row a request is re-claiming right now is left for the next tick.
        const deleted = await sql`
          DELETE FROM idempotency_keys WHERE ctid IN (
            SELECT ctid FROM idempotency_keys WHERE created_at < ${expiredBefore}
            ORDER BY created_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`.execute(db);
        const count = Number(deleted.numAffectedRows ?? 0n);
        purged += count;
        if (count < PURGE_BATCH) break;
      }
      return purged;
    },
  };
}
