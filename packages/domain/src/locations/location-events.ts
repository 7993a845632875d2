import type { DomainEventOf } from '../shared/domain-events';
import type { Location } from './location';

/** The outbox message of a new location. */
export const locationCreated = (location: Location, id: string): DomainEventOf<'location.created'> => ({
  id,
  type: 'location.created',
  aggregateType: 'location',
  aggregateId: location.id,
  occurredAt: location.createdAt,
  data: { ...location, createdAt: location.createdAt.toISOString() },
});
