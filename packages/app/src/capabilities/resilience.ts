import type { Logger } from 'pino';
import { createPolicies, isConnectionError, type DependencyPolicies } from '@aquastream/adapters';
import type { Config } from '../config';
import type { StatusSources } from '../metrics';
import type { HealthChecks } from './health';

/** One resilience policy per dependency (breaker, timeout, retry), shared by every call to it. */
export interface Resilience {
  policies: DependencyPolicies;
  /** Each breaker's state, for the metrics. */
  breakers: StatusSources['breakers'];
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
  const policies = createPolicies(
    {
      // Only "unreachable" counts against the database; its answers (conflicts...) do not.
      postgres: {
        isFailure: isConnectionError,
        timeoutMs: config.DB_STATEMENT_TIMEOUT + 2_000,
        retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
      },
      'payment-service': { timeoutMs: config.PAYMENT_SERVICE_TIMEOUT },
      'auth-service': { timeoutMs: config.AUTH_SERVICE_TIMEOUT },
      weather: { timeoutMs: config.WEATHER_TIMEOUT },
    },
    { breaker },
  );
  for (const policy of policies.all())
    policy.onStateChange((state) =>
      logger?.[state === 'closed' ? 'info' : 'warn']({ breaker: policy.name, state }, `circuit breaker ${policy.name} is ${state}`),
    );
  return {
    policies,
    breakers: () => policies.all().map((p) => ({ name: p.name, state: p.state() })),
    health: {
      circuitBreakers: {
        critical: false,
        check: async () => {
          const stats = policies.all().map((p) => p.stats());
          return {
            status: stats.some((s) => s.state !== 'closed') ? 'DEGRADED' : 'UP',
            details: Object.fromEntries(stats.map(({ name, ...rest }) => [name, rest])),
          };
        },
      },
    },
  };
}
