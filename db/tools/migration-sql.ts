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

/**
 * Rules Squawk does not have, checked here: `one-table-per-transaction` (a transaction that takes
 * ACCESS EXCLUSIVE or SHARE locks on two busy tables can deadlock with live transactions locking
 * them in the other order, as 0008 did in issue #22). Tables the migration creates do not count.
 */
const PROJECT_RULES = new Set(['one-table-per-transaction']);
const LOCK_TAKING = [
  /^ALTER TABLE\s+(?:IF EXISTS\s+)?(?:ONLY\s+)?([\w."]+)/i,
  /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)(?:IF NOT EXISTS\s+)?[\w."]*\s*ON\s+(?:ONLY\s+)?([\w."]+)/i,
  /^CREATE\s+(?:OR REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+[\s\S]*?\bON\s+([\w."]+)/i,
  /^(?:LOCK(?:\s+TABLE)?|TRUNCATE(?:\s+TABLE)?)\s+([\w."]+)/i,
];

function lockedTables(statements: readonly string[]): string[] {
  const created = new Set(statements.flatMap((s) => /^CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([\w."]+)/i.exec(s)?.[1] ?? []));
  const tables = statements.flatMap((s) => LOCK_TAKING.map((re) => re.exec(s.replace(/^(--[^\n]*\n\s*)+/, ''))?.[1]).filter((t) => t !== undefined));
  return [...new Set(tables.filter((t) => !created.has(t)))].sort();
}

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
}): Promise<{ files: string[]; findings: string[] }> {
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
  const findings: string[] = [];
  for (const migration of Object.keys(all).sort()) {
    const run = captured.get(migration);
    if (!run) throw new Error(`${migration} did not run`);
    const exceptions = allExceptions[migration] ?? [];
    const used = new Set<number>();
    const excused = new Set<string>();
    const body = run.statements.map((statement) => {
      const comments: string[] = [];
      const ignored = new Set<string>();
      exceptions.forEach((e, i) => {
        if (!statement.includes(e.statement)) return;
        used.add(i);
        e.rules.forEach((rule) => (PROJECT_RULES.has(rule) ? excused : ignored).add(rule));
        comments.push(`-- exception (${e.rules.join(', ')}): ${e.reason.replace(/\s+/g, ' ')}`);
      });
      // One ignore line, right above the statement: Squawk reads only the line before it.
      if (ignored.size) comments.push(`-- squawk-ignore ${[...ignored].join(', ')}`);
      // Squawk's ignore comment covers the line after it: a statement with an exception is written on one line.
      const text = comments.length && !statement.includes('--') ? statement.replace(/\s*\n\s*/g, ' ') : statement;
      return [...comments, `${text.replace(/;\s*$/, '')};`].join('\n');
    });
    exceptions.forEach((e, i) => used.has(i) || unused.push(`${migration}: ${e.statement}`));
    const locked = lockedTables(run.statements);
    if (run.transactional && locked.length > 1 && !excused.has('one-table-per-transaction'))
      findings.push(
        `${migration}: one-table-per-transaction: lock-taking DDL on ${locked.join(', ')} in one transaction (split it into one migration per table)`,
      );
    const lines = [`-- ${migration}: the SQL the migration runner runs (db/tools/migration-sql.ts)`];
    if (run.transactional) lines.push('BEGIN;', ...body, 'COMMIT;');
    else lines.push(...body);
    const file = join(options.out, `${migration}.sql`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    files.push(file);
  }
  if (unused.length) throw new Error(`squawk exceptions that match no statement (remove them): ${unused.join('; ')}`);
  return { files, findings };
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
    const { files, findings } = await writeMigrationSql({ serverUrl, out });
    console.log(`${files.length} migrations written to ${out}`);
    for (const finding of findings) console.error(`warning: ${finding}`);
    if (findings.length) process.exitCode = 1;
  } finally {
    await server?.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
