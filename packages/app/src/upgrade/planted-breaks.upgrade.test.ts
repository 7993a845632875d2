import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_BREAKER } from '@aquastream/adapters';
import { freshDatabase } from '../../../../testing/database';
import { patchedBundle, type SourceEdit } from '../../../../testing/release-bundles';
import { startScenario, type Check, type Scenario, type Version } from './scenario';

// The upgrade test must fail when a change breaks the side-by-side rule. Each break is planted in a
// temporary copy of this checkout's sources (never in the tree), built into its own bundle, and run
// beside the previous release in the part of the scenario that exercises it; the scenario's own
// checks must then report it, in the phase where it happens.
const log = (line: string) => console.log(`[planted] ${line}`);
const HOLD_MS = 11_000;

/** A migration appended to this checkout's list, as a change would add one. */
function extraMigration(name: string, up: string, down: string): SourceEdit[] {
  return [
    {
      file: `db/migrations/${name}.ts`,
      content: `import { sql, type Kysely } from 'kysely';\n// Planted by the upgrade test.\nexport async function up(db: Kysely<unknown>): Promise<void> {\n  await sql\`${up}\`.execute(db);\n}\nexport async function down(db: Kysely<unknown>): Promise<void> {\n  await sql\`${down}\`.execute(db);\n}\n`,
    },
    {
      file: 'db/migrations/index.ts',
      find: 'export const migrations: Record<string, Migration> = {',
      replace: `import * as planted from './${name}';\nexport const migrations: Record<string, Migration> = {\n  '${name}': planted,`,
    },
  ];
}

const release = inject('upgradeFrom');
const previous: Version = { label: 'previous', bundleDir: release.bundleDir, name: `${release.version} (${release.commit.slice(0, 7)})` };
const removals: (() => void)[] = [];
const runs = new Set<Scenario>();

afterAll(async () => {
  await Promise.allSettled([...runs].map((run) => run.close()));
  removals.forEach((remove) => remove());
});

async function planted(name: string, edits: SourceEdit[]): Promise<Version> {
  // Built from a copy of the sources with the dependencies of build/bundle (the global setup built it).
  const bundle = await patchedBundle(name, edits);
  removals.push(bundle.remove);
  return { label: 'new', bundleDir: bundle.dir, name: `this checkout + planted ${name}` };
}

/** A scenario of its own (database, Payment Service, consumer group): the plants run at once. */
async function scenario(name: string, options: { cancelAfterPay?: number; refundDelayMs?: number } = {}): Promise<Scenario> {
  const run = await startScenario({
    services: { databaseUrl: await freshDatabase('planted'), redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') },
    log: (line) => log(`${name}: ${line}`),
    ...options,
  });
  runs.add(run);
  return run;
}

/** A scenario with the previous release migrated (its cli.mjs) and serving on one replica. */
async function previousServing(name: string, options: { cancelAfterPay?: number; refundDelayMs?: number } = {}): Promise<Scenario> {
  const run = await scenario(name, options);
  run.enter('previous');
  await run.migrate(previous);
  await run.start('previous-1', previous);
  return run;
}

function expectCaught(run: Scenario, check: Check, phase: string, detail: RegExp) {
  log(`${check} caught:\n${run.report(5)}`);
  const caught = run.failures.filter((f) => f.check === check && f.phase === phase && detail.test(f.detail));
  expect(caught.length, `expected [${check}] in phase ${phase} matching ${detail}; the checks reported:\n${run.report() || '(nothing)'}`).toBeGreaterThan(0);
}

// Concurrently: most of each is waiting (a held lock, jobs' intervals), not work.
describe.concurrent('upgrade test: planted breaks fail it', () => {
  it('(a) a migration that drops a column the previous release reads: its replicas answer 5xx while the new version migrates', async () => {
    const [next, run] = await Promise.all([
      planted(
        'drop-column',
        extraMigration(
          '9901-planted-drop-column',
          'ALTER TABLE bookings DROP COLUMN checked_in_at',
          'ALTER TABLE bookings ADD COLUMN checked_in_at TIMESTAMPTZ',
        ),
      ),
      previousServing('(a)'),
    ]);
    await run.beginTraffic(2);
    await run.serve(2_000);
    run.enter('migrate');
    await run.start('new-1', next, { RUN_MIGRATIONS: 'true' }, false);
    await run.serve(3_000);
    await run.endTraffic();
    run.verifyAnswers();
    await run.verifyIndexBuilds();
    expectCaught(run, 'no 5xx', 'migrate', /on previous-1 \(previous\).* answered 5\d\d/);
  }, 240_000);

  it('(b) an index built without CONCURRENTLY while a transaction holds a lock: writes to the table wait for it', async () => {
    const [next, run] = await Promise.all([
      planted(
        'blocking-index',
        extraMigration(
          '9902-planted-blocking-index',
          'CREATE INDEX idx_planted_bookings_user ON bookings(user_id, created_at)',
          'DROP INDEX idx_planted_bookings_user',
        ),
      ),
      previousServing('(b)'),
    ]);
    const lockEvent = await run.createEvent('Lock holder', 5);
    const holder = await run.call('book', 'POST', '/api/v2/bookings', { token: await run.bearer(['USER']), body: { eventId: lockEvent } });
    await run.beginTraffic(2);
    await run.serve(2_000);
    run.enter('migrate');
    const migrating = run.start('new-1', next, { RUN_MIGRATIONS: 'true' }, false);
    await run.holdLocks(HOLD_MS, holder!.body.id as string, lockEvent, migrating);
    await migrating;
    await run.serve(1_000);
    await run.endTraffic();
    run.verifyAnswers();
    await run.verifyIndexBuilds();
    // Without a lock_timeout the bookings queued behind it also run into the statement timeout
    // (5xx); with one they wait at most that long per try. The build itself (recorded by the event
    // trigger) or its SHARE lock (sampled while it waits) is the tell.
    expectCaught(
      run,
      'writes never wait for an index build',
      'migrate',
      /(SHARE lock on bookings|built on bookings without CONCURRENTLY).*CREATE INDEX idx_planted_bookings_user/,
    );
  }, 240_000);

  it('(c) a refund claim the previous release does not see: cancelled paid bookings are refunded twice', async () => {
    // The new refund job keeps its claim where 0.1.0 does not look: it no longer leases the row
    // through refund_due_at (as a job moved to an advisory lock or a column of its own would).
    const plant = planted('invisible-refund-claim', [
      {
        file: 'packages/domain/src/bookings/jobs.ts',
        find: 'const leased: Booking = { ...booking, refundDueAt: new Date(now.getTime() + deps.schedule.reconcileAfterMs) };',
        replace: 'const leased: Booking = { ...booking };',
      },
    ]);
    // A provider that takes half a second per refund: both versions' refund jobs (every
    // JOBS_INTERVAL, 5 s) are then surely at work on the same cancellations at once. Not a second
    // or more: a call slower than the breaker's slow-call duration (1 s) counts against it, and a
    // version whose breaker opens leaves the other to refund alone, each refund once.
    const run = await scenario('(c)', { cancelAfterPay: 0, refundDelayMs: 500 });
    run.enter('previous');
    await run.migrate(previous);
    await Promise.all([run.start('previous-1', previous), plant.then((next) => run.start('new-1', next, { RUN_MIGRATIONS: 'true' }))]);
    run.enter('canary');
    await run.beginTraffic(2);
    await run.serveUntil(() => [...run.bookings.values()].filter((b) => b.paidIn).length >= 16, 60_000);
    await run.endTraffic();
    // The flapping Payment Service may have opened a version's breaker; it admits calls again
    // after its open duration, and the refunds below are the trial calls that close it.
    await run.serve(DEFAULT_BREAKER.openDurationMs);
    // The bookers cancel their paid bookings all at once: both versions' refund jobs find them owed.
    log(`(c): ${await run.cancelPaid()} paid bookings cancelled at once`);
    run.enter('settle');
    await run.settle(60_000);
    await run.verifyState();
    expectCaught(run, 'refunded exactly once', 'canary', /refunded [2-9] times, owed 1/);
  }, 240_000);
});
