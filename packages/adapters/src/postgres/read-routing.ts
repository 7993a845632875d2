import { sql } from 'kysely';
import { ReadOnlyModeError } from '@aquastream/domain';
import type { DependencyPolicy } from '../resilience/index';
import type { DatabaseHandle } from './database';

/**
 * Which server answers a read when a read replica (DATABASE_READ_URL) is configured.
 *
 * - `replica` reads (public, bulk: event lists past the cached pages, attendee lists and exports)
 *   go to the replica, except a read of something changed within the last `windowMs` (its keys, see
 *   `changed`): that one goes to the primary, so a caller reads what it just wrote (read-your-
 *   writes). Changes are learnt from this process's commits and, for events, from the other
 *   replicas' cache announcements; while those cannot be trusted (`announcementsHealthy` false),
 *   every read goes to the primary, as it does while the replica lags past `maxLagMs` or is down.
 * - `primary` reads (cache fills, a caller's own bookings, seat checks) go to the primary.
 * - Either kind falls back to the other server when its own is unreachable: while the primary is
 *   down (its breaker not closed) everything readable is served by the replica, however far behind.
 *
 * `windowMs` must cover the replica's lag: it is maxLag plus the lag probe's interval, since the
 * replica is bypassed once the lag measured exceeds maxLag.
 */
export interface ReadRouting {
  /** Where a read with these keys goes now. */
  target(kind: 'replica' | 'primary', keys: readonly string[]): 'replica' | 'primary';
  /** Reads with these keys go to the primary for the window (`null`: every key). */
  changed(keys: readonly string[] | null): void;
  /** The replica's replay lag in seconds at the last probe; undefined while unknown (replica unreachable). */
  lagSeconds(): number | undefined;
  /** Reads answered so far, by the server that answered. */
  reads(): { primary: number; replica: number };
  /**
   * `primary` and `replica` are the same repository on each server (each already guarded by its
   * own breaker); `methods` names the read methods to route, with the kind and keys of each call.
   * Other methods go to the primary.
   */
  route<T extends object>(primary: T, replica: T, methods: RoutedMethods<T>): T;
  close(): void;
}

export type RoutedMethods<T> = {
  [K in keyof T]?: T[K] extends (...args: infer A) => Promise<unknown> ? { kind: 'replica' | 'primary'; keys?: (...args: A) => string[] } : never;
};

export interface ReadRoutingOptions {
  replica: DatabaseHandle;
  /** The primary's breaker: not closed means unreachable. */
  primaryPolicy: DependencyPolicy;
  /** The replica's own breaker; the lag probes go through it (and are its trial calls). */
  replicaPolicy: DependencyPolicy;
  maxLagMs: number;
  /** How often the lag is measured (default 1 s). */
  probeIntervalMs?: number;
  /** False while other replicas' changes may go unannounced (no shared cache channel). */
  announcementsHealthy: () => boolean;
  onLagProbeError?: (error: unknown) => void;
}

const EVERYTHING = '*';

/**
 * The standby's replay lag: 0 when it has applied everything it received (an idle primary leaves
 * pg_last_xact_replay_timestamp() old without any lag), and 0 on a server that is not a standby
 * (the read URL may point at the primary itself, or at a standby since promoted).
 */
const LAG_QUERY = sql<{ lag: number | string | null }>`
  SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
  END AS lag`;

export function createReadRouting(options: ReadRoutingOptions): ReadRouting {
  const { primaryPolicy, replicaPolicy, maxLagMs } = options;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const windowMs = maxLagMs + probeIntervalMs;
  const recent = new Map<string, number>();
  let lag: number | undefined;
  const counts = { primary: 0, replica: 0 };

  const probe = async () => {
    try {
      const row = await replicaPolicy.execute(async () => (await LAG_QUERY.execute(options.replica.db)).rows[0]);
      lag = row?.lag === null || row?.lag === undefined ? 0 : Math.max(0, Number(row.lag));
    } catch (error) {
      lag = undefined;
      options.onLagProbeError?.(error);
    }
  };
  let probing: Promise<void> = probe();
  const timer = setInterval(() => {
    probing = probing.then(probe);
  }, probeIntervalMs);
  timer.unref();

  const changedRecently = (keys: readonly string[]) => {
    const now = Date.now();
    for (const key of [EVERYTHING, ...keys]) {
      const until = recent.get(key);
      if (until === undefined) continue;
      if (until > now) return true;
      recent.delete(key);
    }
    return false;
  };

  const target: ReadRouting['target'] = (kind, keys) => {
    const replicaUp = replicaPolicy.state() !== 'open';
    if (!replicaUp) return 'primary';
    // The primary is unreachable: whatever the replica has beats a refusal.
    if (primaryPolicy.state() !== 'closed') return 'replica';
    if (kind === 'primary') return 'primary';
    if (lag === undefined || lag * 1000 > maxLagMs) return 'primary';
    if (!options.announcementsHealthy()) return 'primary';
    return changedRecently(keys) ? 'primary' : 'replica';
  };

  /** Runs the call on `first`, and on the other server when `first` is unreachable (read-only). */
  const call = async <R>(first: 'primary' | 'replica', run: (server: 'primary' | 'replica') => Promise<R>): Promise<R> => {
    try {
      const result = await run(first);
      counts[first]++;
      return result;
    } catch (error) {
      if (!(error instanceof ReadOnlyModeError)) throw error;
      const other = first === 'primary' ? 'replica' : 'primary';
      if ((other === 'primary' ? primaryPolicy : replicaPolicy).state() === 'open') throw error;
      const result = await run(other);
      counts[other]++;
      return result;
    }
  };

  return {
    target,
    changed(keys) {
      const until = Date.now() + windowMs;
      for (const key of keys ?? [EVERYTHING]) recent.set(key, until);
      // Bounded: expired keys go whenever the map grows large.
      if (recent.size > 10_000) for (const [key, expires] of recent) if (expires <= Date.now()) recent.delete(key);
    },
    lagSeconds: () => lag,
    reads: () => ({ ...counts }),
    route<T extends object>(primary: T, replica: T, methods: RoutedMethods<T>): T {
      const routed = { ...primary } as Record<string, unknown>;
      for (const [name, spec] of Object.entries(methods) as [string, { kind: 'replica' | 'primary'; keys?: (...args: unknown[]) => string[] }][]) {
        const onPrimary = (primary as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
        const onReplica = (replica as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
        routed[name] = (...args: unknown[]) =>
          call(target(spec.kind, spec.keys?.(...args) ?? []), (server) =>
            server === 'primary' ? onPrimary.apply(primary, args) : onReplica.apply(replica, args),
          );
      }
      return routed as T;
    },
    close: () => clearInterval(timer),
  };
}
