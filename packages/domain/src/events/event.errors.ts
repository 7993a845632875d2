import { DomainError } from '../shared/domain-error';

export class EventNotFoundError extends DomainError {
  constructor(id: string) {
    super('EVENT.NOT_FOUND', 'not-found', `Event ${id} does not exist`, { eventId: id });
  }
}

export class EventTransitionError extends DomainError {
  constructor(id: string, from: string, to: string) {
    super('EVENT.ILLEGAL_TRANSITION', 'conflict', `Event ${id} is ${from}: it cannot ${to === 'update' ? 'be updated' : `become ${to}`}`, {
      eventId: id,
      from,
      to,
    });
  }
}

export class EventAlreadyStartedError extends DomainError {
  constructor(id: string) {
    super('EVENT.ALREADY_STARTED', 'conflict', `Event ${id} has already started`, { eventId: id });
  }
}

/** The client's `If-Match` names a version the event no longer has: someone changed it since it was read. */
export class EventPreconditionFailedError extends DomainError {
  constructor(id: string) {
    super('EVENT.PRECONDITION_FAILED', 'conflict', `Event ${id} changed since the version you name was read: read it again and reapply your change`, {
      eventId: id,
    });
  }
}
