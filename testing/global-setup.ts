import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from './services/postgres';
import { startRedis, type RedisServer } from './services/redis';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
  }
}

/**
 * Real servers for the integration project: the ones named by DATABASE_URL and REDIS_URL, or
 * throwaway ones started here from Debian's packages and stopped at the end. A missing binary
 * fails the run loudly; nothing is skipped.
 */
export default async function setup(project: TestProject) {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const postgresUrl = process.env.DATABASE_URL || (postgres = await startPostgres()).url;
  const redisUrl = process.env.REDIS_URL || (redis = await startRedis()).url;
  project.provide('postgresUrl', postgresUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
  };
}
