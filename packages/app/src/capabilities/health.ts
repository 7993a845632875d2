import type { ConsumerState } from '@aquastream/adapters';

export type HealthState = 'UP' | 'DOWN' | 'DEGRADED';
export interface HealthComponent {
  status: HealthState;
  details?: Record<string, unknown>;
}

/** One component of /actuator/health; `critical` ones decide readiness. */
export interface HealthCheck {
  critical: boolean;
  check: () => Promise<HealthComponent>;
}
export type HealthChecks = Record<string, HealthCheck>;

/** UP with the details the check returns, DOWN with the error it throws. */
export async function timed(check: () => Promise<Record<string, unknown> | void>): Promise<HealthComponent> {
  try {
    const details = await check();
    return { status: 'UP', ...(details ? { details } : {}) };
  } catch (error) {
    return { status: 'DOWN', details: { error: (error as Error).message } };
  }
}

/**
 * Each Kafka consumer of this replica: its state, partitions, and how long since its last message
 * (and since it lost its partitions). DEGRADED while one is (re)starting or holds no partition.
 */
export function consumersHealth(consumers: ConsumerState[], now: number): HealthComponent {
  const seconds = (at: number | null) => (at === null ? null : Math.round((now - at) / 100) / 10);
  const details = Object.fromEntries(
    consumers.map((c) => [
      c.group,
      {
        topic: c.topic,
        state: c.state,
        partitions: c.partitions,
        lastMessageAgeSeconds: seconds(c.lastMessageAt),
        withoutPartitionsSeconds: seconds(c.withoutPartitionsSince),
        restarts: c.restarts,
        ...(c.lastError ? { lastError: c.lastError } : {}),
      },
    ]),
  );
  const healthy = consumers.every((c) => c.state === 'running' && c.partitions.length > 0);
  return { status: healthy ? 'UP' : 'DEGRADED', details };
}
