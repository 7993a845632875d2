import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesHistogram } from './series-histogram';

const config = (registry: Registry) => ({
  name: 'http_server_requests_seconds',
  help: 'HTTP request latency',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

type Labels = { method: string; route: string; status: string };
const GET = { method: 'GET', route: '/api/v2/events/:id', status: '200' };
const POST = { method: 'POST', route: '/api/v2/bookings', status: '409' };
// On bounds, between them, above the last, zero.
const values = [0, 0.001, 0.0011, 0.0025, 0.3, 1, 9.99, 10, 10.01, 120, 0.00005];

describe('SeriesHistogram', () => {
  it("exports exactly what prom-client's Histogram exports for the same values, before and after a reset", async () => {
    const plainRegistry = new Registry();
    const seriesRegistry = new Registry();
    const plain = new Histogram(config(plainRegistry));
    const fast = new SeriesHistogram(config(seriesRegistry));
    const observers = new Map<Labels, (v: number) => void>([GET, POST].map((l) => [l, fast.observer(l)]));
    const observe = (labels: Labels, value: number) => {
      plain.labels(labels).observe(value);
      observers.get(labels)!(value);
    };

    // An observer made but never used shows no series, as prom-client's labels() child.
    fast.observer({ method: 'PUT', route: '/x', status: '200' });
    expect(await seriesRegistry.metrics()).toBe(await plainRegistry.metrics());

    for (const v of values) observe(GET, v);
    for (const v of values.slice(0, 4)) observe(POST, v);
    const exported = await seriesRegistry.metrics();
    expect(exported).toContain('http_server_requests_seconds_bucket{le="0.001",method="GET",route="/api/v2/events/:id",status="200"} 3');
    expect(exported).toBe(await plainRegistry.metrics());

    plainRegistry.resetMetrics();
    seriesRegistry.resetMetrics();
    expect(await seriesRegistry.metrics()).toBe(await plainRegistry.metrics());
    observe(POST, 0.02);
    expect(await seriesRegistry.metrics()).toBe(await plainRegistry.metrics());
  });

  it('refuses a value that is not a number, as prom-client does', () => {
    const observe = new SeriesHistogram(config(new Registry())).observer(GET);
    expect(() => observe(Number.NaN)).toThrow(TypeError);
  });
});
