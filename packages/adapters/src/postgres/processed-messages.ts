import type { Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import type { ProcessedMessageStore } from '../messaging/ports';

export function createPgProcessedMessages(db: Kysely<Database>): ProcessedMessageStore {
  return {
    async seen(consumer, messageId) {
      const row = await db
        .selectFrom('processed_messages')
        .select('message_id')
        .where('consumer', '=', consumer)
        .where('message_id', '=', messageId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async remember(consumer, messageId, at) {
      await db
        .insertInto('processed_messages')
        .values({ consumer, message_id: messageId, processed_at: at })
        .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
        .execute();
    },
  };
}
