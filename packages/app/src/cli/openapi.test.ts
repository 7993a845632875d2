import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApi } from './openapi';

describe('OpenAPI document', () => {
  it('committed openapi.json matches what the code generates (run `pnpm openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../../../../openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(await renderOpenApi())).toEqual(JSON.parse(committed));
  });

  it('documents every v1 and v2 operation with its problem responses', async () => {
    const doc = JSON.parse(await renderOpenApi()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(ops.filter((o) => o.path.startsWith('/api/v1/events')).length).toBe(5);
    expect(ops.filter((o) => o.path.startsWith('/api/v2/')).length).toBeGreaterThanOrEqual(20);
    for (const { path, op } of ops.filter((o) => o.path.startsWith('/api/'))) expect(Object.keys(op.responses), path).toContain('400');
  });
});
