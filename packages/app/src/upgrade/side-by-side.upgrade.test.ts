import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BUNDLE_DIR } from '../../../../testing/bundle';
import { freshDatabase } from '../../../../testing/database';
import { startScenario, type Scenario, type Version } from './scenario';

// Issue #22 item 7: the previous release and this checkout side by side on one PostgreSQL, Redis
// and Kafka, as a rolling update with a canary and a rollback runs them, bookers booking, paying and
// cancelling throughout while the Payment Service is away 30 % of the time.
const HOLD_MS = 11_000; // a lock held across the migrations: longer than the default DB_STATEMENT_TIMEOUT (10 s)
const log = (line: string) => console.log(`[upgrade] ${line}`);

let previous: Version;
let next: Version;
let s: Scenario | undefined;

beforeAll(async () => {
  const release = inject('upgradeFrom');
  previous = { label: 'previous', bundleDir: release.bundleDir, name: `${release.version} (${release.commit.slice(0, 7)})` };
  next = { label: 'new', bundleDir: BUNDLE_DIR, name: 'this checkout' };
}, 600_000);

afterAll(async () => {
  await s?.close();
});

describe('upgrade: the previous release and this checkout side by side', () => {
  it('previous ×2 → migrations under traffic → canary → roll → new only → rollback: every check holds', async () => {
    s = await startScenario({
      services: { databaseUrl: await freshDatabase('upgrade'), redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') },
      log,
    });
    const t0 = Date.now();

    // The previous release, as it runs today: its schema, two replicas, bookers.
    s.enter('previous');
    await s.migrate(previous);
    await Promise.all([s.start('previous-1', previous), s.start('previous-2', previous)]);
    // An event nobody books (its version stays put) for the cache check, and a booking whose rows a
    // long transaction locks while the migrations run.
    const probe = await s.createEvent('Cache probe', 5);
    const lockEvent = await s.createEvent('Lock holder', 5);
    const holder = await s.call('book', 'POST', '/api/v2/bookings', { token: await s.bearer(['USER']), body: { eventId: lockEvent } });
    await s.beginTraffic();
    await s.serve(3_000);

    // This version's migrations while the previous serves, against a transaction that holds row
    // locks on bookings and events for longer than a statement may wait.
    s.enter('migrate');
    const migrating = s.start('new-1', next, { RUN_MIGRATIONS: 'true' }, false);
    await s.holdLocks(HOLD_MS, holder!.body.id as string, lockEvent, migrating);
    await migrating;

    s.enter('canary');
    s.admit('new-1');
    await s.verifyCacheAcross(probe, 'previous-1', 'new-1');
    await s.serve(3_000);

    s.enter('roll');
    await s.start('new-2', next);
    await s.retire('previous-1');
    await s.serve(1_500);
    await s.retire('previous-2');

    s.enter('new only');
    await s.serve(3_000);

    // The previous release back on the new schema, beside the new.
    s.enter('rollback');
    await s.start('previous-3', previous);
    // Created through new-2, first read (and cached in Redis) by new-1, then read by the previous release.
    await s.verifyCacheAcross(await s.createEvent('Cache probe (new)', 5, 'new-2'), 'new-1', 'previous-3');
    await s.serve(3_000);
    s.verifyServes('previous-3', 'rollback');

    s.enter('settle');
    await s.endTraffic();
    await s.settle();
    s.verifyAnswers();
    await s.verifyIndexBuilds();
    await s.verifyState();
    await s.verifyKafka();
    log(`scenario took ${Math.round((Date.now() - t0) / 1000)} s\n${s.summary()}`);

    expect(s.report(), 'upgrade checks').toBe('');
    // The run must have exercised what it checks.
    const paid = [...s.bookings.values()].filter((b) => b.paidIn);
    expect(paid.length).toBeGreaterThan(20);
    expect(paid.filter((b) => b.cancelledIn).length).toBeGreaterThan(5);
    expect(s.requests.filter((r) => r.phase === 'canary' && r.version === 'new').length).toBeGreaterThan(10);
    expect(s.requests.filter((r) => r.phase === 'canary' && r.version === 'previous').length).toBeGreaterThan(10);
  }, 400_000);
});
