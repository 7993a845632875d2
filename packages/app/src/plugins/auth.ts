import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken } from '@aquastream/adapters';
import { UnauthenticatedError, type AccessTokenVerifier, type Actor } from '@aquastream/domain';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/**
 * Resolves `request.actor` from `Authorization: Bearer <JWT>`. No header means anonymous; a header
 * that does not verify is a 401 even on public routes, so a client never silently loses its identity.
 */
export const authPlugin = fp<{ verifier: AccessTokenVerifier }>(
  async (app: FastifyInstance, { verifier }) => {
    app.decorateRequest('actor', null);
    // A callback hook: an anonymous request (most reads) passes without a promise.
    app.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers.authorization;
      if (!header || request.url.startsWith('/actuator') || request.url.startsWith('/docs')) return done();
      const token = bearerToken(header);
      if (!token) return done(new UnauthenticatedError('Use Authorization: Bearer <token>'));
      verifier.verify(token).then((actor) => {
        request.actor = actor;
        done();
      }, done);
    });
  },
  { name: 'auth' },
);
