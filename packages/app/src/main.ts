import { signToken } from '@aquastream/adapters';
import { buildApp, buildManagementApp, VERSION } from './app';
import { createDeps } from './composition-root';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startTracing } from './observability/tracing';
import { startWorkers } from './workers/index';
import { startGrpcServer } from './grpc/server';

/** The process: configuration, start-up banner, listening, and a graceful SIGTERM. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const tracing = config.OTEL_EXPORTER_OTLP_ENDPOINT
    ? await startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME, version: VERSION })
    : undefined;
  const started = performance.now();
  const deps = await createDeps(config, logger);
  let accepting = true;
  const app = await buildApp(deps, { loggerInstance: logger, accepting: () => accepting });
  await app.listen({ host: config.HOST, port: config.PORT, backlog: config.HTTP_BACKLOG });
  const management = config.MANAGEMENT_PORT === undefined ? undefined : await buildManagementApp(deps, { loggerInstance: logger, accepting: () => accepting });
  await management?.listen({ host: config.HOST, port: config.MANAGEMENT_PORT });
  const grpc = await startGrpcServer(deps, {
    port: config.GRPC_PORT,
    host: config.HOST,
    logger,
    maxConnectionAgeMs: config.GRPC_MAX_CONNECTION_AGE,
    maxConnectionAgeGraceMs: config.GRPC_MAX_CONNECTION_AGE_GRACE,
  });
  const workers = startWorkers(deps, logger);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const base = config.PUBLIC_URL ?? `http://localhost:${port}`;
  logger.info(
    { mode: deps.mode, startupMs: Math.round(performance.now() - started) },
    `backend-event listening on ${base} (gRPC on ${grpc.port}${management ? `, actuator on ${config.MANAGEMENT_PORT}` : ''})`,
  );

  if (deps.devSecret) {
    const token = await signToken(deps.devSecret, { sub: '00000000-0000-4000-8000-000000000001', roles: ['ORGANIZER', 'USER'] });
    process.stdout.write(
      [
        '',
        `  backend-event is running (${deps.mode === 'embedded' ? 'embedded: PGlite in ' + config.DATA_DIR : 'real mode'})`,
        `  API:      ${base}/api/v2/events`,
        `  Docs:     ${base}/docs`,
        `  Health:   ${base}/actuator/health`,
        `  Dev token (ORGANIZER + USER, 12 h):`,
        `  ${token}`,
        '',
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness goes DOWN first so the load balancer stops sending traffic, then in-flight requests drain.
    accepting = false;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error('drain took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 5_000);
    force.unref();
    try {
      await Promise.all([app.close(), grpc.shutdown(config.SHUTDOWN_GRACE_MS)]);
      // Last: readiness stays observable (OUT_OF_SERVICE) on the management port while the API drains.
      await management?.close();
      await workers.stop();
      await deps.close();
      await tracing?.shutdown();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`backend-event failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
