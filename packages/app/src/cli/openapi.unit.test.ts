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

  it('names every operation and says whether it needs a token, so generated clients get stable methods', async () => {
    const doc = JSON.parse(await renderOpenApi()) as { paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, op })));
    for (const { at, op } of ops) {
      expect(op.operationId, at).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(Array.isArray(op.security), at).toBe(true);
    }
    expect(new Set(ops.map((o) => o.op.operationId)).size).toBe(ops.length);
    expect(doc.paths['/api/v2/locations']!.get!.security).toEqual([]);
    expect(doc.paths['/api/v2/bookings']!.post!.security).toEqual([{ bearerAuth: [] }]);
  });

  it('gives a nullable reference the type that OpenAPI 3.0 needs beside nullable, and keeps only used schemas', async () => {
    type Schema = { type?: string; nullable?: boolean; allOf?: { $ref: string }[]; properties?: Record<string, Schema> };
    const doc = JSON.parse(await renderOpenApi()) as { components: { schemas: Record<string, Schema> } };
    expect(doc.components.schemas.Event!.properties!.price).toEqual({ type: 'object', nullable: true, allOf: [{ $ref: '#/components/schemas/Money' }] });
    expect(doc.components.schemas.Event!.properties!.location).toEqual({ type: 'object', nullable: true, allOf: [{ $ref: '#/components/schemas/Location' }] });
    const text = JSON.stringify(doc);
    for (const name of Object.keys(doc.components.schemas)) expect(text, name).toContain(`"#/components/schemas/${name}"`);
    expect(Object.keys(doc.components.schemas)).toContain('EventRequest');
    expect(Object.keys(doc.components.schemas)).not.toContain('EventRequestInput');
  });
});
