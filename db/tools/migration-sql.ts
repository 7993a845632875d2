/**
 * Writes the SQL every migration runs, one file per migration, for Squawk: the migrations are run
 * by the project's runner (lock_timeout, transactions) against a real PostgreSQL (DATABASE_URL's
 * server, or one started here) and every statement is captured as sent, parameters inlined. The
 * runner's own statements (bookkeeping, the blocker watch) are left out; BEGIN/COMMIT are written
 * where the runner opens a transaction, so Squawk judges each statement as it really runs.
 *   pnpm exec tsx db/tools/migration-sql.ts [out-dir]     (default build/migrations-sql)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../testing/services/postgres';
import { migrateToLatest, RUNNER_SQL, type MigrationModule } from '../migrator';
import { migrations } from '../migrations/index';
import { SQUAWK_EXCEPTIONS, type SquawkException } from '../squawk-exceptions';

/** A value as an SQL literal (Squawk reads text; the statements were sent with parameters). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return `'${text.replace(/'/g, "''")}'`;
}

const inline = (query: CompiledQuery) => query.sql.replace(/\$(\d+)\b/g, (_, n: string) => literal(query.parameters[Number(n) - 1]));

/**
 * Runs `migrations` (every one, contract steps included) on a new database of the server at
 * `serverUrl` and writes each one's SQL to `out/<name>.sql`. Throws when an exception matches no
 * statement (a stale exception would hide the next finding).
 */
export async function writeMigrationSql(options: {
  serverUrl: string;
  out: string;
  migrations?: Record<string, MigrationModule>;
  exceptions?: Readonly<Record<string, readonly SquawkException[]>>;
}): Promise<string[]> {
  const all = options.migrations ?? migrations;
  const allExceptions = options.exceptions ?? SQUAWK_EXCEPTIONS;
  const name = `squawk_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(options.serverUrl);
  url.pathname = `/${name}`;

  const captured = new Map<string, { transactional: boolean; statements: string[] }>();
  let current: { name: string; transactional: boolean; statements: string[] } | undefined;
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 2 }) }),
    log(event) {
      if (!current) return;
      const text = inline(event.query).trim();
      if (text.startsWith(RUNNER_SQL) || /\bkysely_migration(_lock)?\b/.test(text)) return;
      current.statements.push(text);
    },
  });
  try {
    await migrateToLatest(db, {
      contract: true,
      migrations: all,
      observe: {
        start(migration, direction, transactional) {
          current = direction === 'Up' ? { name: migration, transactional, statements: [] } : undefined;
        },
        end(migration) {
          if (current?.name === migration) captured.set(migration, current);
          current = undefined;
        },
      },
    });
  } finally {
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }

  rmSync(options.out, { recursive: true, force: true });
  mkdirSync(options.out, { recursive: true });
  const unused: string[] = [];
  const files: string[] = [];
  for (const migration of Object.keys(all).sort()) {
    const run = captured.get(migration);
    if (!run) throw new Error(`${migration} did not run`);
    const exceptions = allExceptions[migration] ?? [];
    const used = new Set<number>();
    const body = run.statements.map((statement) => {
      const comments: string[] = [];
      exceptions.forEach((e, i) => {
        if (!statement.includes(e.statement)) return;
        used.add(i);
        comments.push(`-- exception: ${e.reason.replace(/\s+/g, ' ')}`, `-- squawk-ignore ${e.rules.join(', ')}`);
      });
      // Squawk's ignore comment covers the line after it: a statement with an exception is written on one line.
      const text = comments.length && !statement.includes('--') ? statement.replace(/\s*\n\s*/g, ' ') : statement;
      return [...comments, `${text.replace(/;\s*$/, '')};`].join('\n');
    });
    exceptions.forEach((e, i) => used.has(i) || unused.push(`${migration}: ${e.statement}`));
    const lines = [`-- ${migration}: the SQL the migration runner runs (db/tools/migration-sql.ts)`];
    if (run.transactional) lines.push('BEGIN;', ...body, 'COMMIT;');
    else lines.push(...body);
    const file = join(options.out, `${migration}.sql`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    files.push(file);
  }
  if (unused.length) throw new Error(`squawk exceptions that match no statement (remove them): ${unused.join('; ')}`);
  return files;
}

async function main() {
  const out = process.argv[2] ?? 'build/migrations-sql';
  let server: PostgresServer | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    server = await startPostgres();
    serverUrl = server.url;
  }
  try {
    const files = await writeMigrationSql({ serverUrl, out });
    console.log(`${files.length} migrations written to ${out}`);
  } finally {
    await server?.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
