import { ForbiddenError, UnauthenticatedError } from '../shared/domain-error';
import { hasRole, isAdmin, type Actor } from '../shared/actor';
import type { Event } from './event';

export function requireOrganizer(actor: Actor | null): Actor {
  if (!actor) throw new UnauthenticatedError();
  if (!hasRole(actor, 'ORGANIZER')) throw new ForbiddenError('Only organizers and admins manage events');
  return actor;
}

/** Only the organizer who owns the event, or an admin, may change it. */
export function requireOwner(actor: Actor | null, event: Event): Actor {
  const who = requireOrganizer(actor);
  if (!isAdmin(who) && event.organizerId !== who.userId) throw new ForbiddenError('Only the organizer of this event or an admin may change it');
  return who;
}

export const viewerOf = (actor: Actor | null) => (actor ? { userId: actor.userId, admin: isAdmin(actor) } : null);
