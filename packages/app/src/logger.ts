import { ecsFormat } from '@elastic/ecs-pino-format';
import { trace } from '@opentelemetry/api';
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import { environmentAttributes } from './observability/resource';
import { VERSION } from './version';

/** Where secrets could appear in a log line; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.secret',
  'config.DB_PASSWORD',
  'config.REDIS_PASSWORD',
  'config.REDIS_SENTINEL_PASSWORD',
  'config.KAFKA_PASSWORD',
  'config.AUTH_JWT_SECRET',
  'config.PAYMENT_WEBHOOK_SECRET',
];

/**
 * JSON logs in Elastic Common Schema for ELK, each line carrying the release that wrote it
 * (`service.version`: two releases run side by side during a canary), the trace and span ids of
 * the work it belongs to, and the attributes of OTEL_RESOURCE_ATTRIBUTES that the traces carry
 * (k8s.pod.name, k8s.node.name, deployment.track, ...) under the same names.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  // The deployment's declared version (OTEL_RESOURCE_ATTRIBUTES) wins over the code's, as on spans.
  const declared = environmentAttributes();
  const ecs = ecsFormat({ convertReqRes: false, apmIntegration: false, serviceVersion: declared['service.version'] ?? VERSION });
  return pino(
    {
      ...ecs,
      level,
      base: { pid: process.pid, hostname: hostname(), ...declared },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace: { id: span.traceId }, span: { id: span.spanId } } : {};
      },
    },
    destination,
  );
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger, made into pino's child (with the request id bound) on its first line at an
 * enabled level. Fastify asks for a child per request, and pino serializes a child's bindings
 * through the redaction at once: at LOG_LEVEL=warn most requests write nothing and paid for it on
 * every request. What is written is the same as with the child made at once.
 */
class RequestLogger {
  #child: Logger | undefined;
  constructor(
    private readonly parent: Logger,
    private readonly own: Record<string, unknown>,
  ) {}
  #real(): Logger {
    return (this.#child ??= this.parent.child(this.own));
  }
  #write(method: LogMethod, args: unknown[]) {
    if (this.#child || this.parent.isLevelEnabled(method)) (this.#real()[method] as (...a: unknown[]) => void)(...args);
  }
  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.#real().level = level;
  }
  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }
  bindings() {
    return this.#real().bindings();
  }
  child(bindings: Record<string, unknown>, options?: Parameters<Logger['child']>[1]) {
    return this.#real().child(bindings, options);
  }
  fatal(...args: unknown[]) {
    this.#write('fatal', args);
  }
  error(...args: unknown[]) {
    this.#write('error', args);
  }
  warn(...args: unknown[]) {
    this.#write('warn', args);
  }
  info(...args: unknown[]) {
    this.#write('info', args);
  }
  debug(...args: unknown[]) {
    this.#write('debug', args);
  }
  trace(...args: unknown[]) {
    this.#write('trace', args);
  }
  silent() {}
}

/**
 * Fastify's `childLoggerFactory`: a RequestLogger, or pino's child at once when the route sets its
 * own level or serializers (none of ours does).
 */
export function requestLoggerFactory(logger: Logger, bindings: Record<string, unknown>, options: Record<string, unknown>): Logger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new RequestLogger(logger, bindings) as unknown as Logger;
}

/**
 * Fastify's `genReqId` for requests that bring no `x-request-id`: UUID-shaped ids made of a random
 * prefix per process and a counter. A random UUID per request built its string from some twenty
 * pieces, a few percent of a hot read's garbage; the prefix keeps replicas' ids apart.
 */
export function requestIds(): () => string {
  const prefix = crypto.randomUUID().slice(0, 24);
  let issued = 0;
  return () => prefix + (++issued).toString(16).padStart(12, '0');
}
