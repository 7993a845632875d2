import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import { createLogger, requestIds, requestLoggerFactory } from './logger';

const capture = (level: string) => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    level,
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { lines, logger };
};

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function appWith(logger: Logger, factory: typeof requestLoggerFactory | undefined) {
  const app = Fastify({
    loggerInstance: logger,
    ...(factory ? { childLoggerFactory: factory as never } : {}),
    genReqId: () => 'req-1',
    disableRequestLogging: true,
  });
  app.get('/', async (request) => {
    request.log.info({ headers: { authorization: 'Bearer secret' }, n: 1 }, 'handled');
    request.log.warn('careful');
    request.log.child({ step: 'inner' }).error('inner failed');
    return { level: request.log.level, infoEnabled: request.log.isLevelEnabled('info') };
  });
  apps.push(app);
  return app;
}

describe('the per-request logger', () => {
  it('writes what pino’s child writes: the request id bound, secrets redacted, child loggers included', async () => {
    const lazy = capture('info');
    const eager = capture('info');
    const a = await (await appWith(lazy.logger, requestLoggerFactory)).inject('/');
    const b = await (await appWith(eager.logger, undefined)).inject('/');
    expect(a.json()).toEqual({ level: 'info', infoEnabled: true });
    expect(a.json()).toEqual(b.json());
    const strip = (lines: Record<string, unknown>[]) => lines.map(({ '@timestamp': _t, ...rest }) => rest);
    expect(strip(lazy.lines)).toEqual(strip(eager.lines));
    expect(lazy.lines.map((l) => l.message)).toEqual(['handled', 'careful', 'inner failed']);
    expect(lazy.lines[0]).toMatchObject({ reqId: 'req-1', headers: { authorization: '[REDACTED]' } });
    expect(lazy.lines[2]).toMatchObject({ reqId: 'req-1', step: 'inner' });
  });

  it('below the level, writes nothing and makes no pino child', async () => {
    const { lines, logger } = capture('error');
    const app = await appWith(logger, requestLoggerFactory);
    app.get('/quiet', async (request) => {
      request.log.info('not written');
      request.log.warn('not written either');
      return { level: request.log.level };
    });
    await app.ready();
    const child = vi.spyOn(logger, 'child');
    expect((await app.inject('/quiet')).json()).toEqual({ level: 'error' });
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    await app.inject('/');
    expect(lines.map((l) => l.message)).toEqual(['inner failed']);
  });
});

describe('requestIds', () => {
  it('gives UUID-shaped ids, each once, apart from those of another process', () => {
    const next = requestIds();
    const ids = Array.from({ length: 10_000 }, () => next());
    for (const id of [ids[0], ids.at(-1)]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Another process (another generator) draws another prefix.
    expect(requestIds()().slice(0, 24)).not.toBe(ids[0]!.slice(0, 24));
  });
});
