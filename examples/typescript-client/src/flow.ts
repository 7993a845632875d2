import { createEventClient, ok, type Booking, type Event, type EventV1, type PaymentResult, type WaitlistEntry } from './client';

export interface FlowTokens {
  /** An ORGANIZER's token: creates and publishes the events. */
  organizer: string;
  /** Two USERs: the first books and pays, the second finds the event full and joins its waitlist. */
  booker: string;
  waiter: string;
}

export interface FlowResult {
  event: Event;
  booking: Booking;
  payment: PaymentResult;
  waitlistEntry: WaitlistEntry;
  eventV1: EventV1;
  v1Deprecation: string | null;
}

/**
 * The flow of the project's README through the generated client: an organizer creates a paid
 * event with one seat and publishes it, a user books the seat and pays, a second user finds the
 * event full and joins the waitlist, and the event is read through the deprecated v1 API.
 */
export async function walkReadmeFlow(baseUrl: string, tokens: FlowTokens): Promise<FlowResult> {
  const organizer = createEventClient(baseUrl, tokens.organizer);
  const booker = createEventClient(baseUrl, tokens.booker);
  const waiter = createEventClient(baseUrl, tokens.waiter);
  const anonymous = createEventClient(baseUrl);

  const startDate = new Date(Date.now() + 30 * 86_400_000);
  const endDate = new Date(startDate.getTime() + 10 * 3_600_000);
  const draft = ok(
    await organizer.POST('/api/v2/events', {
      body: {
        title: 'Rafting on the Katun',
        startDate: startDate.toISOString(),
        endDate: endDate.toISOString(),
        capacity: 1,
        price: { amount: 5000, currency: 'EUR' },
      },
    }),
  );
  const event = ok(await organizer.POST('/api/v2/events/{id}/publish', { params: { path: { id: draft.id } } }));

  const booking = ok(await booker.POST('/api/v2/bookings', { params: { header: { 'idempotency-key': `book-${event.id}` } }, body: { eventId: event.id } }));
  const payment = ok(
    await booker.POST('/api/v2/bookings/{id}/pay', { params: { path: { id: booking.id }, header: { 'idempotency-key': `pay-${booking.id}` } } }),
  );

  const waitlistEntry = ok(await waiter.POST('/api/v2/events/{id}/waitlist', { params: { path: { id: event.id } } }));

  const v1 = await anonymous.GET('/api/v1/events/{id}', { params: { path: { id: event.id } } });
  return { event, booking, payment, waitlistEntry, eventV1: ok(v1), v1Deprecation: v1.response.headers.get('deprecation') };
}
