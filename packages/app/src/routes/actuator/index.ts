import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerToken } from '@aquastream/adapters';
import { isAdmin } from '@aquastream/domain';
import type { AccessTokenVerifier } from '@aquastream/domain';
import type { HealthChecks, HealthComponent } from '../../capabilities/health';
import type { Config } from '../../config';
import { anonymous, optionalBearer } from '../schemas';

const HealthSchema = z
  .object({
    status: z.enum(['UP', 'DOWN', 'DEGRADED', 'OUT_OF_SERVICE']),
    components: z.record(z.string(), z.object({ status: z.string(), details: z.record(z.string(), z.unknown()).optional() })).optional(),
  })
  .meta({ id: 'Health' });

export interface ActuatorOptions {
  deps: { health: HealthChecks; mode: 'embedded' | 'real'; config: Pick<Config, 'MANAGEMENT_PORT'>; verifier: AccessTokenVerifier };
  /** False once SIGTERM arrived: readiness goes DOWN so traffic drains before the process exits. */
  accepting: () => boolean;
  version: string;
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /**
   * `public` (the API port): health for everyone, its components only for an ADMIN token; info and
   * metrics only while no MANAGEMENT_PORT takes them. `management` (MANAGEMENT_PORT, which the
   * NetworkPolicy opens to monitoring only): every endpoint with every detail, no token.
   */
  exposure?: 'public' | 'management';
}

async function collect(health: HealthChecks): Promise<Record<string, HealthComponent>> {
  const names = Object.keys(health);
  const results = await Promise.all(names.map((n) => health[n]!.check()));
  return Object.fromEntries(names.map((n, i) => [n, results[i]!]));
}

/** Spring-Boot-style actuator endpoints, so existing probes and dashboards keep working. */
export const actuatorRoutes: FastifyPluginAsyncZod<ActuatorOptions> = async (app, { deps, accepting, version, metrics, exposure = 'public' }) => {
  const tags = ['actuator'];
  const management = exposure === 'management';

  // Like Spring's show-details=when-authorized. The auth plugin leaves /actuator alone (a probe
  // with a stale token must not fail), so the token is checked here: one that does not verify
  // simply shows no details.
  async function showDetails(request: FastifyRequest): Promise<boolean> {
    if (management) return true;
    const token = bearerToken(request.headers.authorization);
    if (!token) return false;
    try {
      return isAdmin(await deps.verifier.verify(token));
    } catch {
      return false;
    }
  }

  app.get('/health', {
    schema: {
      operationId: 'getHealth',
      security: optionalBearer,
      tags,
      summary: 'Overall health; per-component details for an ADMIN token',
      response: { 200: HealthSchema, 503: HealthSchema },
    },
    handler: async (request, reply) => {
      const components = await collect(deps.health);
      const criticalDown = Object.entries(components).some(([n, c]) => deps.health[n]!.critical && c.status === 'DOWN');
      const degraded = Object.values(components).some((c) => c.status !== 'UP');
      const status = criticalDown ? 'DOWN' : degraded ? 'DEGRADED' : 'UP';
      return reply.code(criticalDown ? 503 : 200).send((await showDetails(request)) ? { status, components } : { status });
    },
  });
  app.get('/health/liveness', {
    schema: {
      operationId: 'getLiveness',
      security: anonymous,
      tags,
      summary: 'Liveness: the process runs; never depends on dependencies',
      response: { 200: HealthSchema },
    },
    handler: async () => ({ status: 'UP' as const }),
  });
  app.get('/health/readiness', {
    schema: {
      operationId: 'getReadiness',
      security: optionalBearer,
      tags,
      summary: 'Readiness: critical dependencies reachable, migrations applied, not shutting down; components for an ADMIN token',
      response: { 200: HealthSchema, 503: HealthSchema },
    },
    handler: async (request, reply) => {
      const details = await showDetails(request);
      if (!accepting()) return reply.code(503).send(details ? { status: 'OUT_OF_SERVICE' as const, components: {} } : { status: 'OUT_OF_SERVICE' as const });
      // Only the critical components decide readiness, so only they are checked: a slow broker or
      // cache never delays the answer to the probe (at start-up, Kafka's first metadata round trip).
      const critical = Object.fromEntries(Object.entries(deps.health).filter(([, component]) => component.critical));
      const components = await collect(critical);
      const down = Object.values(components).some((c) => c.status === 'DOWN');
      const status = down ? 'DOWN' : 'UP';
      return reply.code(down ? 503 : 200).send(details ? { status, components } : { status });
    },
  });
  // With a management port, what only operators need leaves the API port altogether.
  if (!management && deps.config.MANAGEMENT_PORT !== undefined) return;
  app.get('/info', {
    schema: {
      operationId: 'getInfo',
      security: anonymous,
      tags,
      summary: 'Build and runtime information',
      response: { 200: z.object({ app: z.object({ name: z.string(), version: z.string(), mode: z.string() }), runtime: z.object({ node: z.string() }) }) },
    },
    handler: async () => ({ app: { name: 'backend-event', version, mode: deps.mode }, runtime: { node: process.version } }),
  });
  if (metrics)
    app.get('/prometheus', {
      schema: {
        operationId: 'getPrometheusMetrics',
        security: anonymous,
        tags,
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: z.string() },
      },
      handler: async (_request, reply) => {
        const { contentType, body } = await metrics();
        return reply.type(contentType).send(body);
      },
    });
};
