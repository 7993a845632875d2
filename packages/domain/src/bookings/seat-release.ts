import type { BookingSnapshot, DomainEventCatalogue, DomainEventOf, DomainEventTypeOf } from '../shared/domain-events';
import type { IdGenerator } from '../shared/ports';
import type { TransactionScope } from '../unit-of-work';
import type { Booking, WaitlistEntry } from './booking';

export interface SeatReleaseDeps {
  ids: IdGenerator;
  waitlistHoldMs: number;
}

/** How far down the line one release looks for entries that fit (only when smaller entries may pass). */
const LINE_SCAN = 500;

/**
 * `freed` seats came free (0: only look again at the line, after it changed). Every free seat goes
 * to the waitlist first: the freed seats, those already held for the line and those available are
 * offered down the line in FIFO order, an entry once all the seats it asks for are free, each offer
 * keeping its seats out of `available` for the holder. Strict order (the default): the first entry
 * that does not fit stops the line and the seats stay held for it (`waitlistHeld`). With
 * `waitlistAllowsPassing` smaller entries behind it may take them. Seats are available to anyone
 * only while nobody waits, so people who were not in line never skip it.
 */
export async function releaseSeats(tx: TransactionScope, deps: SeatReleaseDeps, eventId: string, freed: number, now: Date): Promise<void> {
  // Locked: every change of the seat counts serializes on the event's row.
  const event = await tx.events.findByIdForUpdate(eventId);
  if (!event) return;
  let pool = event.available + event.waitlistHeld + freed;
  if (pool === 0) return;
  let stillWaiting = false;
  // Page by page while every entry of a full page got its seats (offered entries leave the WAITING line).
  for (;;) {
    // Strict order offers at most `pool` entries (each asks for a seat at least) before one stops the line.
    const limit = event.waitlistAllowsPassing ? LINE_SCAN : Math.min(pool + 1, LINE_SCAN);
    const line = await tx.waitlist.lockWaiting(eventId, limit);
    let offered = 0;
    for (const entry of line) {
      if (pool === 0) break;
      if (entry.seats > pool) {
        if (!event.waitlistAllowsPassing) break;
        continue;
      }
      pool -= entry.seats;
      offered++;
      await offer(tx, deps, entry, now);
    }
    if (offered < line.length) stillWaiting = true;
    if (stillWaiting || line.length < limit) break;
    if (pool === 0) {
      stillWaiting = (await tx.waitlist.lockWaiting(eventId, 1)).length > 0;
      break;
    }
  }
  const waitlistHeld = stillWaiting ? pool : 0;
  const available = stillWaiting ? 0 : Math.min(pool, event.capacity);
  if (available === event.available && waitlistHeld === event.waitlistHeld) return;
  await tx.events.update({ ...event, available, waitlistHeld, updatedAt: now });
}

async function offer(tx: TransactionScope, deps: SeatReleaseDeps, entry: WaitlistEntry, now: Date): Promise<void> {
  const offered: WaitlistEntry = {
    ...entry,
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
      data: { eventId: entry.eventId, userId: offered.userId, seats: offered.seats, offerExpiresAt: offered.offerExpiresAt!.toISOString() },
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
    seats: booking.seats,
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
