import type { BookingSnapshot, DomainEventCatalogue, DomainEventOf, DomainEventTypeOf } from '../shared/domain-events';
import type { IdGenerator } from '../shared/ports';
import type { TransactionScope } from '../unit-of-work';
import type { Booking, WaitlistEntry } from './booking';

export interface SeatReleaseDeps {
  ids: IdGenerator;
  waitlistHoldMs: number;
}

/**
 * A seat came free: offer it to the first person waiting (it stays out of `available` while
 * held for them), or give it back to the event when nobody waits.
 */
export async function releaseSeat(tx: TransactionScope, deps: SeatReleaseDeps, eventId: string, now: Date): Promise<void> {
  const next = await tx.waitlist.lockNextWaiting(eventId);
  if (!next) {
    await tx.events.releaseSeat(eventId, now);
    return;
  }
  const offered: WaitlistEntry = {
    ...next,
    status: 'OFFERED',
    offerExpiresAt: new Date(now.getTime() + deps.waitlistHoldMs),
    updatedAt: now,
  };
  await tx.waitlist.update(offered);
  await tx.outbox.add([
    {
      id: deps.ids.next(),
      type: 'waitlist.offered',
      aggregateType: 'waitlist',
      aggregateId: offered.id,
      occurredAt: now,
      data: { eventId, userId: offered.userId, offerExpiresAt: offered.offerExpiresAt!.toISOString() },
    },
  ]);
}

type BookingEventType = DomainEventTypeOf<'booking'>;
/** What an event of the booking aggregate carries besides the booking itself (nothing for most). */
type Extra<K extends BookingEventType> = Omit<DomainEventCatalogue[K]['data'], keyof BookingSnapshot>;

/** An event of the booking aggregate: the booking as it now is, plus what the catalogue adds for `type`. */
export function bookingEvent<K extends BookingEventType>(
  type: K,
  booking: Booking,
  id: string,
  now: Date,
  ...[extra]: object extends Extra<K> ? [extra?: Extra<K>] : [extra: Extra<K>]
): DomainEventOf<K> {
  const snapshot: BookingSnapshot = {
    bookingId: booking.id,
    eventId: booking.eventId,
    userId: booking.userId,
    status: booking.status,
    amount: booking.amount,
    paymentStatus: booking.paymentStatus,
    paymentId: booking.paymentId,
  };
  return {
    id,
    type,
    aggregateType: 'booking',
    aggregateId: booking.id,
    occurredAt: now,
    data: { ...snapshot, ...extra } as DomainEventCatalogue[K]['data'],
  } as DomainEventOf<K>;
}
