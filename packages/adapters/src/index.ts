export * from './system/clock';
export { createMemoryStore, type MemoryStore } from './memory/store';
export { connectPostgres, type DatabaseHandle, type PoolStats } from './postgres/database';
export { openPglite } from './pglite/database';
export { createPgScope, createPgUnitOfWork } from './postgres/unit-of-work';
export { createPgEventRepository } from './postgres/event-repository';
export { createPgLocationRepository } from './postgres/location-repository';
export { createPgBookingRepository } from './postgres/booking-repository';
export { createPgWaitlistRepository } from './postgres/waitlist-repository';
export { createPgPaymentAttemptRepository } from './postgres/payment-attempt-repository';
export { createPgPaymentStats, type PaymentBacklog } from './postgres/payment-stats';
export { createPgOutbox, createPgOutboxStore, type OutboxStore, type OutboxMessage, type OutboxBacklog } from './postgres/outbox';
export { createPgIdempotencyStore } from './postgres/idempotency-store';
export { createJwtVerifier, signToken, type JwtVerifierOptions } from './auth/jwt-verifier';
export { createHttpPaymentGateway, type HttpPaymentGatewayOptions } from './payment-service/http-payment-gateway';
export { createSandboxPaymentGateway } from './payment-service/sandbox-payment-gateway';
export {
  createKafkaClient,
  DEFAULT_CONSUMER_TIMINGS,
  TOPICS,
  type ConsumerState,
  type ConsumerTimings,
  type KafkaClient,
  type KafkaOptions,
} from './kafka/kafka-client';
export { createInProcessBus } from './memory/in-process-bus';
export { createPgProcessedMessages } from './postgres/processed-messages';
export { createLayeredCache, type LayeredCache, type LayeredCacheOptions } from './cache/layered-cache';
export { createEventCache, type EventCache } from './cache/cached-event-repository';
export { connectRedis } from './redis/connect';
export { createRedisInvalidationChannel, type InvalidationChannel, type RedisInvalidationOptions } from './redis/invalidation-channel';
export { createSharedRateCounter, type SharedRateCounter, type WindowCount } from './redis/rate-limit-counter';
export { guardMethods, guardUnitOfWork, isConnectionError } from './postgres/guard';
export * from './resilience/index';
export { createDegradedTokenVerifier, tokenCacheKey, type AuthServiceOptions } from './auth-service/degraded-token-verifier';
export { createOpenMeteoWeather, WEATHER_UNAVAILABLE } from './weather/open-meteo-weather';
