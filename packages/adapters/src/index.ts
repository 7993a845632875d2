export { systemClock, uuidGenerator } from './system/clock';
export { connectPostgres, type DatabaseHandle, type PoolStats } from './postgres/database';
export { openPglite } from './pglite/database';
export { createPgScope, createPgUnitOfWork, type PgUnitOfWorkOptions } from './postgres/unit-of-work';
export { createPgEventRepository } from './postgres/event-repository';
export { createPgLocationRepository } from './postgres/location-repository';
export { createPgBookingRepository } from './postgres/booking-repository';
export { createPgWaitlistRepository } from './postgres/waitlist-repository';
export { createPgBookingLineRepository, createPgCategoryRepository } from './postgres/category-repository';
export { createPgPromoCodeRepository } from './postgres/promo-code-repository';
export { createPgPaymentAttemptRepository } from './postgres/payment-attempt-repository';
export { createPgPaymentStats, type PaymentBacklog } from './postgres/payment-stats';
export { createPgOutbox, createPgOutboxStore } from './postgres/outbox';
export { createPgRetention, type RetainedTable, type Retention, type RetentionOptions } from './postgres/retention';
export { createPgIdempotencyStore, type IdempotencyBegin, type IdempotencyStore } from './postgres/idempotency-store';
export { createJwtVerifier, signToken, type JwtVerifierOptions } from './auth/jwt-verifier';
export { bearerToken } from './auth/bearer';
export { createHttpPaymentGateway, type HttpPaymentGatewayOptions } from './payment-service/http-payment-gateway';
export { createSandboxPaymentGateway } from './payment-service/sandbox-payment-gateway';
export * from './messaging/index';
export { createPgProcessedMessages } from './postgres/processed-messages';
export type { Cache } from './cache/cache';
export { createLayeredCache, type LayeredCache, type LayeredCacheOptions } from './cache/layered-cache';
export { createEventCache, type EventCache } from './cache/cached-event-repository';
export {
  connectRedis,
  deleteKeys,
  duplicateRedis,
  isRedisCluster,
  parseRedisAddresses,
  scanKeys,
  type RedisAddress,
  type RedisClient,
  type RedisConnectOptions,
  type RedisTarget,
} from './redis/connect';
export { createRedisInvalidationChannel, type InvalidationChannel, type RedisInvalidationOptions } from './redis/invalidation-channel';
export { createSharedRateCounter, type SharedRateCounter, type WindowCount } from './redis/rate-limit-counter';
export { guardMethods, isConnectionError, type PgGuard } from './postgres/guard';
export { createReadRouting, type ReadRouting, type ReadRoutingOptions, type RoutedMethods } from './postgres/read-routing';
export * from './resilience/index';
export { createDegradedTokenVerifier, tokenCacheKey, type AuthServiceOptions } from './auth-service/degraded-token-verifier';
export { createOpenMeteoWeather, WEATHER_UNAVAILABLE } from './weather/open-meteo-weather';
