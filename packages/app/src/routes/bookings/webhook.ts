import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { UseCases } from '@aquastream/domain';
import { problem, sendProblem } from '../../plugins/problem';
import { anonymous, problems } from '../schemas';
import { PaymentWebhookBody } from './schemas';

export function signatureOf(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

function verify(secret: string | undefined, body: string, header: unknown): boolean {
  if (!secret || typeof header !== 'string') return false;
  const expected = Buffer.from(signatureOf(secret, body));
  const given = Buffer.from(header.startsWith('sha256=') ? header : `sha256=${header}`);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Callback of the Payment Service: `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with
 * PAYMENT_WEBHOOK_SECRET. The signature is checked over the exact bytes received, before parsing.
 */
export const paymentWebhookRoutes: FastifyPluginAsyncZod<{ useCases: UseCases; secret?: string }> = async (app, { useCases, secret }) => {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as { rawBody?: string }).rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('The body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
  app.post('/webhook', {
    schema: {
      operationId: 'receivePaymentNotification',
      // No bearer token: the Payment Service signs the body instead (X-Signature).
      security: anonymous,
      tags: ['payments'],
      summary: 'Payment Service callback (HMAC-signed)',
      headers: z.object({ 'x-signature': z.string().max(200).optional().describe('sha256=<hex HMAC of the raw body>') }),
      body: PaymentWebhookBody,
      response: { 200: z.object({ bookingId: z.uuid(), bookingStatus: z.string(), paymentStatus: z.string() }), ...problems(401, 404) },
    },
    handler: async (request, reply) => {
      if (!verify(secret, (request as { rawBody?: string }).rawBody ?? '', request.headers['x-signature']))
        return sendProblem(reply, problem('HTTP.INVALID_SIGNATURE', { detail: 'X-Signature does not match the body', instance: request.url }));
      const booking = await useCases.applyPaymentNotification(request.body);
      return { bookingId: booking.id, bookingStatus: booking.status, paymentStatus: booking.paymentStatus };
    },
  });
};
