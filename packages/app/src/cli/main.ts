import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectPostgres, openPglite, signToken } from '@aquastream/adapters';
import { migrateDown, migrateToLatest, migrationStatus } from '@aquastream/db';
import { ROLES, type Role } from '@aquastream/domain';
import { loadConfig, databaseUrl } from '../config';
import { migrationOptions } from '../capabilities/database';

const USAGE = `usage: cli <command>
  migrate [--contract]     apply pending migrations; a contract migration (one that drops what the
                          previous release still uses) only with --contract, as its own release step
  rollback                undo the latest migration
  status                  list migrations and when they ran
  token --sub <uuid> --role <ROLE> [--role ...] [--expires 12h]
                          print a signed dev token (needs AUTH_JWT_SECRET, or the embedded dev secret)
  openapi [--out file]    write the OpenAPI document (default: openapi.json at the repository root)
  replay-dlq [--apply]    put the payment retry requests of payment-retry-queue.dlq back on the retry
                          queue (needs KAFKA_BROKERS); without --apply a dry run that only reports`;

async function openDatabase() {
  const config = loadConfig();
  const url = databaseUrl(config);
  return url ? connectPostgres({ url, poolMax: 2 }) : openPglite(`${config.DATA_DIR}/pglite`);
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  switch (command) {
    case 'migrate':
    case 'rollback':
    case 'status': {
      const database = await openDatabase();
      try {
        if (command === 'status') {
          for (const m of await migrationStatus(database.db))
            console.log(
              `${m.executedAt ? m.executedAt.toISOString() : 'pending                 '}  ${m.name}${m.contract ? '  (contract: migrate --contract)' : ''}`,
            );
        } else {
          const { values } = parseArgs({ args: rest, options: { contract: { type: 'boolean', default: false } } });
          const options = migrationOptions(loadConfig(), (fields, message) => console.error(message, JSON.stringify(fields)));
          const results =
            command === 'migrate' ? await migrateToLatest(database.db, { ...options, contract: values.contract }) : await migrateDown(database.db, options);
          console.log(results.length ? results.join('\n') : 'nothing to do');
          if (command === 'migrate' && !values.contract) {
            const waiting = (await migrationStatus(database.db)).filter((m) => m.contract && !m.executedAt).map((m) => m.name);
            if (waiting.length) console.log(`contract step pending (migrate --contract once no older release runs): ${waiting.join(', ')}`);
          }
        }
      } finally {
        await database.close();
      }
      return;
    }
    case 'token': {
      const { values } = parseArgs({
        args: rest,
        options: { sub: { type: 'string' }, role: { type: 'string', multiple: true }, expires: { type: 'string', default: '12h' } },
      });
      const roles = (values.role ?? ['USER']).map((r) => r.toUpperCase());
      if (!values.sub || !roles.every((r) => (ROLES as readonly string[]).includes(r)))
        throw new Error(`--sub <uuid> and --role ${ROLES.join('|')} are required`);
      const config = loadConfig();
      let secret = config.AUTH_JWT_SECRET;
      if (!secret && !config.DATABASE_URL) {
        const { readFileSync } = await import('node:fs');
        secret = readFileSync(`${config.DATA_DIR}/dev-jwt-secret`, 'utf8').trim();
      }
      if (!secret) throw new Error('AUTH_JWT_SECRET is not set');
      console.log(await signToken(secret, { sub: values.sub, roles: roles as Role[] }, values.expires));
      return;
    }
    case 'openapi': {
      const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } } });
      const { renderOpenApi } = await import('./openapi');
      const out = values.out ?? new URL('../../../../openapi.json', import.meta.url).pathname;
      writeFileSync(out, await renderOpenApi());
      console.log(`wrote ${out}`);
      return;
    }
    case 'replay-dlq': {
      const { values } = parseArgs({ args: rest, options: { apply: { type: 'boolean', default: false } } });
      const config = loadConfig();
      if (!config.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: the dead-letter topic lives on Kafka');
      const { createKafkaClient, paymentDlqReplayGroup, replayDeadLetters } = await import('@aquastream/adapters');
      const { kafkaOptions } = await import('../capabilities/messaging');
      const { formatReport } = await import('./replay-dlq');
      const kafka = createKafkaClient(kafkaOptions({ ...config, KAFKA_BROKERS: config.KAFKA_BROKERS }));
      try {
        console.log(formatReport(await replayDeadLetters(kafka, { group: paymentDlqReplayGroup(config.KAFKA_CONSUMER_GROUP), apply: values.apply })));
      } finally {
        await kafka.close();
      }
      return;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
