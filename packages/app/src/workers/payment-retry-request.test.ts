import { describe, expect, it } from 'vitest';
import { asRequest } from './payment-retry-consumer';

const request = {
  paymentId: '5f0c8a4e-2b6e-4d6f-9b1a-0c3d2e1f4a5b',
  bookingId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  amount: { amount: 1500, currency: 'EUR' },
};

describe('asRequest (the payment.retry_requested schema)', () => {
  it('reads a well-formed retry request', () => {
    expect(asRequest(request)).toEqual(request);
  });

  it.each([
    ['no data', null],
    ['a string', 'retry please'],
    ['an id that is not one', { ...request, paymentId: 'p-1' }],
    ['a missing booking id', { paymentId: request.paymentId, amount: request.amount }],
    ['an amount that is not whole minor units', { ...request, amount: { amount: 15.5, currency: 'EUR' } }],
    ['an amount given as text', { ...request, amount: { amount: '1500', currency: 'EUR' } }],
    ['no currency', { ...request, amount: { amount: 1500 } }],
  ])('refuses %s (a poison message for the DLQ)', (_, data) => {
    expect(asRequest(data)).toBeNull();
  });
});
