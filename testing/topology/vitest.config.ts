import { defineConfig } from 'vitest/config';

// The `topology` step of scripts/test.sh (issue #23): the guide's production topology (replicated
// PostgreSQL with failover) under replicas of the production bundle. Each file starts its own
// servers from the distribution's packages; files run one at a time, with the machine to themselves.
export default defineConfig({
  test: {
    name: 'topology',
    root: `${import.meta.dirname}/../..`,
    include: ['testing/topology/**/*.topology.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
