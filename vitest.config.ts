import { defineConfig } from 'vitest/config';

// Two projects: the domain runs with no server at all; everything else gets real PostgreSQL and
// Redis from testing/global-setup.ts (or DATABASE_URL / REDIS_URL when given).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'domain',
          include: ['packages/domain/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/adapters/src/**/*.test.ts', 'packages/app/src/**/*.test.ts', 'db/**/*.test.ts', 'testing/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
