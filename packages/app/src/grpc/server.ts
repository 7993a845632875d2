import { Server, ServerCredentials, type ChannelOptions, type ServiceDefinition } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import pino, { type Logger } from 'pino';
import type { Deps } from '../composition-root';
import { eventServiceImplementation } from './event-service';
import { EVENT_SERVICE, fieldNames, HEALTH_SERVICE, loadPackageDefinition } from './proto';

export interface GrpcServerOptions {
  /** 0 picks a free port (tests); the real one is in the returned handle. */
  port: number;
  /** Default 0.0.0.0. */
  host?: string;
  logger?: Logger;
  /** When true, EventService calls without `authorization: Bearer <jwt>` are UNAUTHENTICATED. Default false. */
  requireAuth?: boolean;
  /** For availability ("has the event started?"); the system clock by default. */
  clock?: { now(): Date };
  /**
   * A connection older than this (±10 % jitter, grpc-js) is sent GOAWAY, so the client reconnects
   * and its balancer spreads the new connection over the current pods: without it a long-lived
   * HTTP/2 connection stays on the pod it first reached, and pods added later get no calls. 0 = never.
   */
  maxConnectionAgeMs?: number;
  /** How long calls running on a connection past its age may still finish before it is closed. */
  maxConnectionAgeGraceMs?: number;
  /** Extra grpc-js server options (keepalive, message sizes, ...). */
  channelOptions?: ChannelOptions;
}

export interface GrpcServerHandle {
  /** The bound port. */
  port: number;
  /**
   * Health goes NOT_SERVING, then the server stops taking calls and waits for running ones
   * (tryShutdown) at most `graceMs` (default 10 s), then cuts what is left (forceShutdown).
   * Idempotent: later calls return the same promise.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** grpc.health.v1 status of the server ("") and of EventService: SERVING or NOT_SERVING. */
  setServing(serving: boolean): void;
}

const DEFAULT_GRACE_MS = 10_000;

/**
 * The gRPC API: org.aquastream.event.api.EventService over the domain use cases, the standard
 * grpc.health.v1.Health service, and server reflection (v1 and v1alpha) for grpcurl and friends.
 */
export async function startGrpcServer(deps: Pick<Deps, 'useCases' | 'verifier'>, options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const logger = (options.logger ?? pino({ enabled: false })).child({ component: 'grpc' });
  const definition = loadPackageDefinition();
  const server = new Server({
    'grpc.max_receive_message_length': 1024 * 1024,
    ...(options.maxConnectionAgeMs ? { 'grpc.max_connection_age_ms': options.maxConnectionAgeMs } : {}),
    ...(options.maxConnectionAgeMs && options.maxConnectionAgeGraceMs !== undefined
      ? { 'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs }
      : {}),
    ...options.channelOptions,
  });

  server.addService(
    definition[EVENT_SERVICE] as ServiceDefinition,
    eventServiceImplementation({
      useCases: deps.useCases,
      verifier: deps.verifier,
      logger,
      requireAuth: options.requireAuth ?? false,
      maskNames: { response: fieldNames(definition, 'EventResponse'), details: fieldNames(definition, 'EventDetails') },
      clock: options.clock ?? { now: () => new Date() },
    }),
  );
  const health = new HealthImplementation({ '': 'SERVING', [EVENT_SERVICE]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(definition, { services: [EVENT_SERVICE, HEALTH_SERVICE] }).addToServer(server);

  const host = options.host ?? '0.0.0.0';
  const address = `${host.includes(':') ? `[${host}]` : host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  logger.info({ port, host, requireAuth: options.requireAuth ?? false }, `gRPC listening on ${host}:${port}`);

  const setServing = (serving: boolean) => {
    const state = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', state);
    health.setStatus(EVENT_SERVICE, state);
  };

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = DEFAULT_GRACE_MS): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      setServing(false);
      const force = setTimeout(() => {
        logger.warn({ graceMs }, 'gRPC calls still running after the grace period: forcing shutdown');
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown((error) => {
        clearTimeout(force);
        if (error) {
          logger.warn({ err: error }, 'gRPC graceful shutdown failed: forcing');
          server.forceShutdown();
        } else logger.info('gRPC server stopped');
        resolve();
      });
    });
    return stopping;
  };

  return { port, shutdown, setServing };
}
