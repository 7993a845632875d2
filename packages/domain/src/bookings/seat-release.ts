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

export function bookingEvent(type: string, booking: Booking, id: string, now: Date, extra: Record<string, unknown> = {}) {
  return {
    id,
    type,
    aggregateType: 'booking' as const,
    aggregateId: booking.id,
    occurredAt: now,
    data: {
      bookingId: booking.id,
      eventId: booking.eventId,
      userId: booking.userId,
      status: booking.status,
      amount: booking.amount,
      paymentStatus: booking.paymentStatus,
      paymentId: booking.paymentId,
      ...extra,
    },
  };
}
