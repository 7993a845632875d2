import { defineConfig } from 'vitest/config';

// Seven projects, picked by file name (no hand-kept lists):
// - `domain`: every test of packages/domain (no server by construction: it runs on its own fakes).
// - `unit`: `*.unit.test.ts` anywhere else: adapters and app code that needs no server (breakers,
//   admission, caches, token checks, the seed contract). `pnpm test:unit` runs both in seconds.
// - `contracts`: runs scripts/contracts.sh (buf, oasdiff) on planted breaking changes; it builds
//   those Go tools on first use, so it is a step of scripts/test.sh of its own.
// - `integration`: every other `*.test.ts`, with real PostgreSQL, Redis and Kafka from
//   testing/global-setup.ts (or DATABASE_URL / REDIS_URL / KAFKA_BROKERS when given).
// - `scale`: `*.scale.test.ts`, replicas of the production bundle under a rush: scripts/test.sh runs
//   it as a step of its own, after the bundle is built, so it has the machine to itself.
// - `topology`: `*.topology.test.ts`, replicated servers of its own (Redis Sentinel and Cluster,
//   three Kafka brokers, a PostgreSQL standby promoted) failed over: a step of its own.
// - `upgrade`: `*.upgrade.test.ts`, the previous release beside this checkout (`pnpm test:upgrade`).
// A test that starts no server and touches no network is named `*.unit.test.ts`; the others run
// in `integration`. Every test file runs in exactly one project.
const UNIT = ['packages/adapters/src/**/*.unit.test.ts', 'packages/app/src/**/*.unit.test.ts', 'tools/**/*.unit.test.ts', 'testing/**/*.unit.test.ts'];
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'domain',
          include: ['packages/domain/src/**/*.test.ts'],
          environment: 'node',
          // Nothing here starts a process or a server: worker threads start faster than forks.
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'unit',
          include: UNIT,
          environment: 'node',
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'contracts',
          include: ['tools/contracts/guard.test.ts'],
          environment: 'node',
          // A cold build of buf and oasdiff takes minutes on a shared machine.
          hookTimeout: 900_000,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'packages/adapters/src/**/*.test.ts',
            'packages/app/src/**/*.test.ts',
            'db/**/*.test.ts',
            'testing/**/*.test.ts',
            'examples/*/src/**/*.test.ts',
          ],
          exclude: ['**/*.unit.test.ts', '**/*.scale.test.ts', '**/*.topology.test.ts', '**/*.upgrade.test.ts', '**/node_modules/**'],
          environment: 'node',
          globalSetup: ['testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        // Replicated servers (Redis Sentinel and Cluster, three Kafka brokers, ...) that each file
        // starts for itself, failed over under load: a step of scripts/test.sh of its own, one file
        // at a time (each runs several servers).
        test: {
          name: 'topology',
          include: ['**/*.topology.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'scale',
          include: ['packages/app/src/**/*.scale.test.ts'],
          environment: 'node',
          globalSetup: ['testing/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          pool: 'forks',
        },
      },
      {
        test: {
          // pnpm test:upgrade: the previous release's bundle beside this checkout's (issue #22). Its
          // two files run at once (--maxWorkers=2): most of each is waiting for replicas and jobs.
          name: 'upgrade',
          include: ['packages/app/src/**/*.upgrade.test.ts'],
          environment: 'node',
          globalSetup: ['testing/upgrade-setup.ts'],
          testTimeout: 400_000,
          hookTimeout: 600_000,
          pool: 'forks',
        },
      },
    ],
  },
});
