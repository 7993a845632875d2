import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps, HealthComponent } from '../../composition-root';
import { anonymous } from '../schemas';

const HealthSchema = z
  .object({
    status: z.enum(['UP', 'DOWN', 'DEGRADED', 'OUT_OF_SERVICE']),
    components: z.record(z.string(), z.object({ status: z.string(), details: z.record(z.string(), z.unknown()).optional() })).optional(),
  })
  .meta({ id: 'Health' });

export interface ActuatorOptions {
  deps: Pick<Deps, 'health' | 'mode' | 'config'>;
  /** False once SIGTERM arrived: readiness goes DOWN so traffic drains before the process exits. */
  accepting: () => boolean;
  version: string;
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

async function collect(health: Deps['health']): Promise<Record<string, HealthComponent>> {
  const names = Object.keys(health);
  const results = await Promise.all(names.map((n) => health[n]!.check()));
  return Object.fromEntries(names.map((n, i) => [n, results[i]!]));
}

/** Spring-Boot-style actuator endpoints, so existing probes and dashboards keep working. */
export const actuatorRoutes: FastifyPluginAsyncZod<ActuatorOptions> = async (app, { deps, accepting, version, metrics }) => {
  const tags = ['actuator'];
  app.get('/health', {
    schema: { operationId: 'getHealth', security: anonymous, tags, summary: 'Overall health with per-component details', response: { 200: HealthSchema, 503: HealthSchema } },
    handler: async (_request, reply) => {
      const components = await collect(deps.health);
      const criticalDown = Object.entries(components).some(([n, c]) => deps.health[n]!.critical && c.status === 'DOWN');
      const degraded = Object.values(components).some((c) => c.status !== 'UP');
      const status = criticalDown ? 'DOWN' : degraded ? 'DEGRADED' : 'UP';
      return reply.code(criticalDown ? 503 : 200).send({ status, components });
    },
  });
  app.get('/health/liveness', {
    schema: { operationId: 'getLiveness', security: anonymous, tags, summary: 'Liveness: the process runs; never depends on dependencies', response: { 200: HealthSchema } },
    handler: async () => ({ status: 'UP' as const }),
  });
  app.get('/health/readiness', {
    schema: { operationId: 'getReadiness', security: anonymous, tags, summary: 'Readiness: critical dependencies reachable, migrations applied, not shutting down', response: { 200: HealthSchema, 503: HealthSchema } },
    handler: async (_request, reply) => {
      if (!accepting()) return reply.code(503).send({ status: 'OUT_OF_SERVICE' as const, components: {} });
      const all = await collect(deps.health);
      const components = Object.fromEntries(Object.entries(all).filter(([n]) => deps.health[n]!.critical));
      const down = Object.values(components).some((c) => c.status === 'DOWN');
      return reply.code(down ? 503 : 200).send({ status: down ? 'DOWN' : 'UP', components });
    },
  });
  app.get('/info', {
    schema: { operationId: 'getInfo', security: anonymous, tags, summary: 'Build and runtime information', response: { 200: z.object({ app: z.object({ name: z.string(), version: z.string(), mode: z.string() }), runtime: z.object({ node: z.string() }) }) } },
    handler: async () => ({ app: { name: 'backend-event', version, mode: deps.mode }, runtime: { node: process.version } }),
  });
  if (metrics)
    app.get('/prometheus', {
      schema: { operationId: 'getPrometheusMetrics', security: anonymous, tags, summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'], response: { 200: z.string() } },
      handler: async (_request, reply) => {
        const { contentType, body } = await metrics();
        return reply.type(contentType).send(body);
      },
    });
};
