/** A fact the rest of the platform may react to; stored in the outbox with the change that caused it. */
export interface DomainEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  aggregateType: 'event' | 'location' | 'booking' | 'payment' | 'waitlist';
  aggregateId: string;
  occurredAt: Date;
  data: T;
}
