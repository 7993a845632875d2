import pino, { type Logger } from 'pino';

/** Where secrets could appear in a log line; pino replaces them before anything is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  'config.DB_PASSWORD',
  'config.REDIS_PASSWORD',
  'config.AUTH_JWT_SECRET',
  'config.PAYMENT_WEBHOOK_SECRET',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } });
}
