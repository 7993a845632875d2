import type { TransactionScope } from '../unit-of-work';
import type { BookingBatchStore } from './ports';

/**
 * A BookingBatchStore made of the scope's repositories, one call each, for a store without a faster
 * way (the in-memory store of domain tests). The seats are taken first, so nothing is written
 * without them; a write that fails after that rolls back with its transaction.
 */
export function composedBookingBatches(scope: Omit<TransactionScope, 'bookingBatches'>): BookingBatchStore {
  return {
    async read(eventId, userIds, lock) {
      const standings = await scope.bookings.standingsOf(eventId, userIds);
      const categories = await scope.categories.listOfEvent(eventId);
      const event = lock ? await scope.events.findByIdForUpdate(eventId) : await scope.events.findById(eventId);
      return { event, categories, standings };
    },
    async write(eventId, seats, now, booked, events) {
      if (!(await scope.events.takeSeats(eventId, seats, now))) return false;
      await scope.bookings.insertMany(booked.map((b) => b.booking));
      await scope.bookingLines.insertMany(booked);
      await scope.outbox.add(events);
      return true;
    },
  };
}
