import { buildApp } from '../app';
import type { Deps } from '../composition-root';
import { loadConfig } from '../config';
import { createMetrics, createRecorders } from '../metrics';

const unused = () => {
  throw new Error('not used while rendering the OpenAPI document');
};

/** Renders the document from the routes alone: no database, no network. */
export async function renderOpenApi(): Promise<string> {
  const deps = {
    config: loadConfig({}),
    useCases: new Proxy({}, { get: () => unused }),
    verifier: { verify: unused },
    idempotency: { begin: unused, complete: unused, abandon: unused, purgeExpired: unused },
    clock: { now: () => new Date() },
    health: {},
    mode: 'embedded',
    readOnly: () => false,
    metrics: createMetrics(createRecorders(), {
      database: { poolStats: unused },
      outbox: { backlog: unused },
      messaging: { kind: 'in-process' },
      config: loadConfig({}),
    } as never),
  } as unknown as Deps;
  const app = await buildApp(deps, { swaggerUi: false });
  await app.ready();
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
  await app.close();
  return doc;
}
