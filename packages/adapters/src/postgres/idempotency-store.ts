import type { Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import type { IdempotencyStore } from '@aquastream/domain';

/** A claim older than this is considered abandoned (its request died mid-way) and may be retried. */
const STALE_CLAIM_MS = 60_000;

export function createPgIdempotencyStore(db: Kysely<Database>): IdempotencyStore {
  return {
    async begin(scope, key, requestHash, now) {
      // The primary key makes the claim atomic: of two concurrent requests only one inserts.
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ scope, key, request_hash: requestHash, status: 'IN_PROGRESS', response_status: null, response_body: null, created_at: now })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
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
  };
}

