import { describe, expect, it } from 'vitest';
import { asRequest, asRetryRequested } from './payment-retry-request';

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

describe('asRetryRequested (the whole CloudEvent the retry queue carries)', () => {
  const event = { specversion: '1.0', id: 'm-1', type: 'payment.retry_requested', source: 's', time: 't', subject: request.bookingId, data: request };

  it('reads a payment.retry_requested CloudEvent', () => {
    expect(asRetryRequested(event)).toMatchObject({ id: 'm-1', data: request });
  });

  it('reads one a later release published, with a dataversion and fields it does not know', () => {
    const newer = { ...event, dataversion: 2, data: { ...request, promoCode: 'SPRING', amount: { ...request.amount, tax: 250 } } };
    expect(asRetryRequested(newer)).toMatchObject({ id: 'm-1', data: request });
  });

  it.each([
    ['another type', { ...event, type: 'payment.failed' }],
    ['a bad request inside', { ...event, data: { ...request, bookingId: 'b-1' } }],
    ['no event at all', null],
  ])('refuses %s', (_, candidate) => {
    expect(asRetryRequested(candidate)).toBeNull();
  });
});
