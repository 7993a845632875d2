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
