import { sql, type Kysely } from 'kysely';
import { createIndexConcurrently, dropIndexConcurrently } from '../migration-helpers';

// The retention job deletes shipped outbox rows and processed-message ids by age, oldest first, in
// small batches; these indexes let each batch find its rows without reading the whole table.
// Built CONCURRENTLY (writes go on during the build), which cannot run inside a transaction.
export const transactional = false;

export async function up(db: Kysely<unknown>): Promise<void> {
  await createIndexConcurrently(db, 'idx_outbox_published_at', sql`ON outbox(published_at) WHERE published_at IS NOT NULL`);
  await createIndexConcurrently(db, 'idx_processed_messages_processed_at', sql`ON processed_messages(processed_at)`);
}

// Only the two indexes go: the retention job still works without them (each batch then scans).
export async function down(db: Kysely<unknown>): Promise<void> {
  await dropIndexConcurrently(db, 'idx_processed_messages_processed_at');
  await dropIndexConcurrently(db, 'idx_outbox_published_at');
}
