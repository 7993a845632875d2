import type { TestProject } from 'vitest/node';
import { startKafka, type KafkaServer } from './services/kafka';
import { startPostgres, type PostgresServer } from './services/postgres';
import { startRedis, type RedisServer } from './services/redis';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
    kafkaBrokers: string;
  }
}

/**
 * Real servers for the integration project: the ones named by DATABASE_URL, REDIS_URL and
 * KAFKA_BROKERS, or throwaway ones started here (PostgreSQL and Redis from Debian's packages,
 * Kafka from its Maven Central jars) and stopped at the end. A missing binary fails the run
 * loudly; nothing is skipped.
 */
export default async function setup(project: TestProject) {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let kafka: KafkaServer | undefined;
  const [postgresUrl, redisUrl, kafkaBrokers] = await Promise.all([
    process.env.DATABASE_URL || startPostgres().then((s) => (postgres = s).url),
    process.env.REDIS_URL || startRedis().then((s) => (redis = s).url),
    process.env.KAFKA_BROKERS || startKafka().then((s) => (kafka = s).brokers),
  ]);
  project.provide('postgresUrl', postgresUrl);
  project.provide('redisUrl', redisUrl);
  project.provide('kafkaBrokers', kafkaBrokers);
  return async () => {
    await Promise.all([postgres?.destroy(), redis?.destroy(), kafka?.destroy()]);
  };
}
