import type { Actor } from './actor';
import type { DomainEvent } from './domain-events';

/** The current time; a port so rules about TTLs and dates are testable. */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  next(): string;
}

/** Domain events written in the same transaction as the change that caused them. */
export interface Outbox {
  add(events: readonly DomainEvent[]): Promise<void>;
}

/** Turns a bearer token into the caller. Throws UnauthenticatedError for a bad or expired token. */
export interface AccessTokenVerifier {
  verify(token: string): Promise<Actor>;
}
