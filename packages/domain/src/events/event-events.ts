import type { DomainEventOf, DomainEventTypeOf } from '../shared/domain-events';
import type { Event } from './event';

/** The outbox payload of an event change: enough for consumers to update their copies. */
export function eventDomainEvent<K extends DomainEventTypeOf<'event'>>(type: K, event: Event, id: string, now: Date): DomainEventOf<K> {
  return {
    id,
    type,
    aggregateType: 'event',
    aggregateId: event.id,
    occurredAt: now,
    data: {
      id: event.id,
      organizerId: event.organizerId,
      title: event.title,
      startDate: event.startDate.toISOString(),
      endDate: event.endDate.toISOString(),
      locationId: event.location?.id ?? null,
      capacity: event.capacity,
      available: event.available,
      price: event.price,
      timeZone: event.timeZone,
      status: event.status,
    },
  };
}
