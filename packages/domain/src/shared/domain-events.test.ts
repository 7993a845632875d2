import { describe, expect, it } from 'vitest';
import { newBooking } from '../bookings/booking';
import { bookingEvent } from '../bookings/seat-release';
import type { DomainEvent, DomainEventOf } from './domain-events';

const now = new Date('2026-03-01T10:00:00Z');
const booking = newBooking({ id: 'b1', eventId: 'e1', userId: 'u1', price: { amount: 1500, currency: 'EUR' }, now, ttlMs: 60_000 });

describe('the domain-event catalogue', () => {
  it('gives a booking event the booking as it is, plus what the catalogue adds for its name', () => {
    const event: DomainEventOf<'booking.cancelled'> = bookingEvent('booking.cancelled', booking, 'm1', now, { refund: 'full' });

    expect(event).toEqual({
      id: 'm1',
      type: 'booking.cancelled',
      aggregateType: 'booking',
      aggregateId: 'b1',
      occurredAt: now,
      data: {
        bookingId: 'b1',
        eventId: 'e1',
        userId: 'u1',
        status: 'PENDING',
        seats: 1,
        amount: { amount: 1500, currency: 'EUR' },
        paymentStatus: 'UNPAID',
        paymentId: null,
        refund: 'full',
      },
    });
  });

  it('narrows an event to its payload by its name', () => {
    const events: DomainEvent[] = [
      bookingEvent('booking.created', booking, 'm1', now, { fromWaitlist: true }),
      { id: 'm2', type: 'waitlist.joined', aggregateType: 'waitlist', aggregateId: 'w1', occurredAt: now, data: { eventId: 'e1', userId: 'u2', seats: 2 } },
    ];

    const about = events.map((e) => {
      if (e.type === 'booking.created') return `booking ${e.data.bookingId} from the waitlist: ${e.data.fromWaitlist}`;
      if (e.type === 'waitlist.joined') return `${e.type} ${e.data.eventId}`;
      return e.type;
    });

    expect(about).toEqual(['booking b1 from the waitlist: true', 'waitlist.joined e1']);
  });

  it('refuses, when type-checked, a name outside the catalogue and a payload that is not its own', () => {
    // @ts-expect-error: no such event in the catalogue
    const outside: DomainEvent = { id: 'm3', type: 'booking.teleported', aggregateType: 'booking', aggregateId: 'b1', occurredAt: now, data: {} };
    // @ts-expect-error: booking.created must say whether the seat came from the waitlist
    const incomplete = bookingEvent('booking.created', booking, 'm4', now);

    // At run time both are plain objects; `tsc` (pnpm typecheck) is what refuses them.
    expect([outside.type, incomplete.type]).toEqual(['booking.teleported', 'booking.created']);
  });
});
