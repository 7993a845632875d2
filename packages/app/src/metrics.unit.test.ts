import { describe, expect, it } from 'vitest';
import { createRecorders } from './metrics';

describe('replica cache hits', () => {
  it('are in cache_requests_total when the registry is read, with no series before the first hit', async () => {
    const recorders = createRecorders();
    const series = async () => (await recorders.registry.metrics()).split('\n').filter((l) => l.startsWith('cache_requests_total{'));
    recorders.cacheRequests.inc({ cache: 'redis', result: 'hit' });
    expect(await series()).toEqual(['cache_requests_total{cache="redis",result="hit"} 1']);
    for (let i = 0; i < 3; i++) recorders.replicaHit();
    expect(await series()).toEqual(['cache_requests_total{cache="redis",result="hit"} 1', 'cache_requests_total{cache="replica",result="hit"} 3']);
    recorders.replicaHit();
    // Read twice: each hit is counted once.
    expect((await recorders.cacheRequests.get()).values.find((v) => v.labels.cache === 'replica')?.value).toBe(4);
    expect(await series()).toContain('cache_requests_total{cache="replica",result="hit"} 4');
  });
});
