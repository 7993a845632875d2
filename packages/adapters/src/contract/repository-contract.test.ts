import { afterAll, beforeAll } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import { migrateToLatest } from '@aquastream/db';
import { freshDatabase } from '../../../../testing/database';
import { createMemoryStore } from '@aquastream/domain/testing';
import { connectPostgres, type DatabaseHandle } from '../postgres/database';
import { createPgScope, createPgUnitOfWork } from '../postgres/unit-of-work';
import { openPglite } from '../pglite/database';
import { describeRepositoryContract, type ContractSubject } from './repository-contract';

async function truncate(db: Kysely<Database>) {
  await sql`TRUNCATE bookings, waitlist, outbox, events, locations, idempotency_keys, processed_messages CASCADE`.execute(db);
}

function sqlSubject(handle: () => DatabaseHandle) {
  return async (): Promise<ContractSubject> => {
    const { db } = handle();
    await truncate(db);
    return {
      scope: createPgScope(db),
      uow: createPgUnitOfWork(db),
      outboxTypes: async () => (await db.selectFrom('outbox').select('type').execute()).map((r) => r.type),
    };
  };
}

describeRepositoryContract('memory', async () => {
  const store = createMemoryStore();
  return { scope: store, uow: store, outboxTypes: async () => store.outboxRows().map((e) => e.type) };
});

let pglite: DatabaseHandle;
let postgres: DatabaseHandle;

beforeAll(async () => {
  pglite = await openPglite();
  await migrateToLatest(pglite.db);
  postgres = connectPostgres({ url: await freshDatabase('contract') });
  await migrateToLatest(postgres.db);
});

afterAll(async () => {
  await pglite?.close();
  await postgres?.close();
});

describeRepositoryContract(
  'PGlite',
  sqlSubject(() => pglite),
);
describeRepositoryContract(
  'PostgreSQL',
  sqlSubject(() => postgres),
);
