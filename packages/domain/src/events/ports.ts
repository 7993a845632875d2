import type { Page, PageRequest } from '../shared/paging';
import type { Event, EventStatus } from './event';

export interface EventFilter {
  status?: EventStatus;
  from?: Date;
  to?: Date;
  search?: string;
  locationId?: string;
  organizerId?: string;
  /** Drafts are included only for this organizer (or for everyone when `allDrafts`). */
  draftsOf?: string;
  allDrafts?: boolean;
  /** Events of these organizers are left out (the synthetic checks' organizer). */
  hiddenOrganizers?: readonly string[];
}

export interface EventRepository {
  findById(id: string): Promise<Event | null>;
  /**
   * The copy findById would answer with now when the adapter already holds it in process (no I/O);
   * undefined otherwise. Optional: a repository without an in-process copy leaves it out.
   */
  findHeld?(id: string): Event | undefined;
  /** Locks the row for the rest of the transaction so concurrent changes serialize. */
  findByIdForUpdate(id: string): Promise<Event | null>;
  list(filter: EventFilter, page: PageRequest): Promise<Page<Event>>;
  insert(event: Event): Promise<void>;
  /**
   * Stores the event's fields; the stored version moves forward. With `expectedVersion` only while
   * the stored version is that one, in the same statement (compare-and-set): false when it is not,
   * and nothing changed.
   */
  update(event: Event, options?: { expectedVersion?: number }): Promise<boolean>;
  /** Takes `seats` available seats atomically, all or none; false when fewer are left. Safe across replicas. Seat changes move the version too. */
  takeSeats(eventId: string, seats: number, now: Date): Promise<boolean>;
  /** Published events whose end has passed; for the completion job. */
  findEnded(now: Date, limit: number): Promise<string[]>;
}
