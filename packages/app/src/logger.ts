import { ecsFormat } from '@elastic/ecs-pino-format';
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

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
 * JSON logs in Elastic Common Schema for ELK, each line carrying the trace and span ids of the
 * work it belongs to.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const ecs = ecsFormat({ convertReqRes: false, apmIntegration: false });
  return pino(
    {
      ...ecs,
      level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace: { id: span.traceId }, span: { id: span.spanId } } : {};
      },
    },
    destination,
  );
}
