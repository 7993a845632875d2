import type { Logger } from 'pino';
import { createDependencyPolicy, createPolicies, isConnectionError, type DependencyPolicies, type DependencyPolicy } from '@aquastream/adapters';
import type { Config } from '../config';
import type { StatusSources } from '../metrics';
import type { HealthChecks } from './health';

/** One resilience policy per dependency (breaker, timeout, retry), shared by every call to it. */
export interface Resilience {
  policies: DependencyPolicies;
  /** Each breaker's state, for the metrics. */
  breakers: StatusSources['breakers'];
  /** The read replica's own breaker, with DATABASE_READ_URL. */
  replica?: DependencyPolicy;
  health: HealthChecks;
}

export function createResilience(config: Config, logger?: Logger): Resilience {
  const breaker = {
    failureRateThreshold: config.BREAKER_FAILURE_RATE,
    slowCallRateThreshold: config.BREAKER_SLOW_CALL_RATE,
    slowCallDurationMs: config.BREAKER_SLOW_CALL_DURATION,
    minimumCalls: config.BREAKER_MINIMUM_CALLS,
    windowSize: config.BREAKER_WINDOW_SIZE,
    openDurationMs: config.BREAKER_OPEN_DURATION,
    halfOpenCalls: config.BREAKER_HALF_OPEN_CALLS,
  };
  // Only "unreachable" counts against the database; its answers (conflicts...) do not. Trial calls
  // come every 5 s at most: after a failover the new primary gets writes within that.
  const postgres = {
    breaker: { openDurationMs: config.DB_BREAKER_OPEN_DURATION ?? Math.min(5_000, config.BREAKER_OPEN_DURATION) },
    isFailure: isConnectionError,
    timeoutMs: config.DB_STATEMENT_TIMEOUT + 2_000,
    retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
  };
  const policies = createPolicies(
    {
      postgres,
      'payment-service': { timeoutMs: config.PAYMENT_SERVICE_TIMEOUT },
      'auth-service': { timeoutMs: config.AUTH_SERVICE_TIMEOUT },
      weather: { timeoutMs: config.WEATHER_TIMEOUT },
    },
    { breaker },
  );
  // The replica is a server of its own: its outage must not turn the service read-only, nor the
  // primary's outage stop the reads it can serve.
  const replica =
    config.DATABASE_URL && config.DATABASE_READ_URL
      ? createDependencyPolicy('postgres-replica', { ...postgres, breaker: { ...breaker, ...postgres.breaker } })
      : undefined;
  const all = replica ? [...policies.all(), replica] : policies.all();
  for (const policy of all)
    policy.onStateChange((state) =>
      logger?.[state === 'closed' ? 'info' : 'warn']({ breaker: policy.name, state }, `circuit breaker ${policy.name} is ${state}`),
    );
  return {
    policies,
    replica,
    breakers: () => all.map((p) => ({ name: p.name, state: p.state() })),
    health: {
      circuitBreakers: {
        critical: false,
        check: async () => {
          const stats = all.map((p) => p.stats());
          return {
            status: stats.some((s) => s.state !== 'closed') ? 'DEGRADED' : 'UP',
            details: Object.fromEntries(stats.map(({ name, ...rest }) => [name, rest])),
          };
        },
      },
    },
  };
}
