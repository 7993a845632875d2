import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerToken } from '@aquastream/adapters';
import { isAdmin, UnauthenticatedError } from '@aquastream/domain';
import type { AccessTokenVerifier } from '@aquastream/domain';
import type { HealthChecks, HealthComponent } from '../../capabilities/health';
import type { Config } from '../../config';
import { anonymous, optionalBearer, problems } from '../schemas';

const HealthSchema = z
  .object({
    status: z.enum(['UP', 'DOWN', 'DEGRADED', 'OUT_OF_SERVICE']),
    components: z.record(z.string(), z.object({ status: z.string(), details: z.record(z.string(), z.unknown()).optional() })).optional(),
  })
  .meta({ id: 'Health' });

export interface ActuatorOptions {
  deps: {
    health: HealthChecks;
    mode: 'embedded' | 'real';
    config: Pick<Config, 'MANAGEMENT_PORT'> & Partial<Pick<Config, 'ACTUATOR_TOKEN'>>;
    verifier: AccessTokenVerifier;
  };
  /** False once SIGTERM arrived: readiness goes DOWN so traffic drains before the process exits. */
  accepting: () => boolean;
  version: string;
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /**
   * `public` (the API port): health for everyone, its components only for an operator (an ADMIN
   * token or ACTUATOR_TOKEN); info and metrics only for an operator, and only while no
   * MANAGEMENT_PORT takes them. `management` (MANAGEMENT_PORT, which the NetworkPolicy opens to
   * monitoring only): every endpoint with every detail, no token.
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

  // Hashed once: comparing digests takes the same time whatever the token's length.
  const actuatorToken = deps.config.ACTUATOR_TOKEN ? createHash('sha256').update(deps.config.ACTUATOR_TOKEN).digest() : undefined;

  // Like Spring's show-details=when-authorized. The auth plugin leaves /actuator alone (a probe
  // with a stale token must not fail), so the token is checked here: one that does not verify
  // simply shows no details. An operator is an ADMIN token, or ACTUATOR_TOKEN (a static bearer a
  // Prometheus scrape config can send).
  async function operator(request: FastifyRequest): Promise<boolean> {
    if (management) return true;
    const token = bearerToken(request.headers.authorization);
    if (!token) return false;
    if (actuatorToken && timingSafeEqual(createHash('sha256').update(token).digest(), actuatorToken)) return true;
    try {
      return isAdmin(await deps.verifier.verify(token));
    } catch {
      return false;
    }
  }
  const showDetails = operator;
  // Info and metrics tell an attacker the version and the inside of the service (Spring Boot
  // exposes neither by default): on the API port they need an operator.
  async function requireOperator(request: FastifyRequest) {
    if (!(await operator(request))) throw new UnauthenticatedError('The actuator needs an ADMIN token or ACTUATOR_TOKEN (or use MANAGEMENT_PORT)');
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
    onRequest: requireOperator,
    schema: {
      operationId: 'getInfo',
      security: management ? anonymous : optionalBearer,
      tags,
      summary: 'Build and runtime information (an ADMIN token or ACTUATOR_TOKEN on the API port)',
      response: {
        200: z.object({ app: z.object({ name: z.string(), version: z.string(), mode: z.string() }), runtime: z.object({ node: z.string() }) }),
        ...(management ? {} : problems(401)),
      },
    },
    handler: async () => ({ app: { name: 'backend-event', version, mode: deps.mode }, runtime: { node: process.version } }),
  });
  if (metrics)
    app.get('/prometheus', {
      onRequest: requireOperator,
      schema: {
        operationId: 'getPrometheusMetrics',
        security: management ? anonymous : optionalBearer,
        tags,
        summary: 'Prometheus metrics, text exposition format (an ADMIN token or ACTUATOR_TOKEN on the API port)',
        produces: ['text/plain'],
        response: { 200: z.string(), ...(management ? {} : problems(401)) },
      },
      handler: async (_request, reply) => {
        const { contentType, body } = await metrics();
        return reply.type(contentType).send(body);
      },
    });
};
