import { defineConfig } from 'vitest/config';

// Five projects. `domain` and `unit` (adapters and app code that needs no server: breakers,
// admission, caches, token checks, the seed contract) run with no server at all: `pnpm test:unit`
// in seconds. `contracts` runs scripts/contracts.sh (buf, oasdiff) on planted breaking changes; it
// builds those Go tools on first use, so it is a step of scripts/test.sh of its own. `integration`
// gets real PostgreSQL, Redis and Kafka from testing/global-setup.ts (or DATABASE_URL / REDIS_URL /
// KAFKA_BROKERS when given). `scale` runs replicas of the production bundle under a rush:
// scripts/test.sh runs it as a step of its own, after the bundle is built, so it has the machine
// to itself.
const UNIT = [
  'packages/adapters/src/auth/**/*.test.ts',
  'packages/adapters/src/cache/**/*.test.ts',
  'packages/adapters/src/resilience/**/*.test.ts',
  'packages/adapters/src/http/**/*.test.ts',
  'packages/adapters/src/messaging/consumer-supervision.test.ts',
  'packages/adapters/src/messaging/payment-retry-request.test.ts',
  'packages/adapters/src/messaging/cloud-events.test.ts',
  'packages/app/src/grpc/descriptors.test.ts',
  'packages/app/src/grpc/event-service.test.ts',
  'tools/contracts/seed.test.ts',
  'packages/app/src/cli/openapi.test.ts',
  'packages/app/src/observability/cgroup.test.ts',
  'packages/app/src/routes/attendees/csv.test.ts',
  'packages/app/src/routes/events/conditional.test.ts',
  'packages/app/src/routes/attendees/accept.test.ts',
];
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
          exclude: [...UNIT, '**/*.scale.test.ts', '**/*.upgrade.test.ts', '**/node_modules/**'],
          environment: 'node',
          globalSetup: ['testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
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
