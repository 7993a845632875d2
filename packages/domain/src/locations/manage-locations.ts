import type { Actor } from '../shared/actor';
import { pageRequest, type Page } from '../shared/paging';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import { requireOrganizer } from '../events/access';
import { createLocation, type Location, type NewLocation } from './location';
import { locationCreated } from './location-events';
import { LocationNotFoundError } from './location.errors';
import type { LocationRepository } from './ports';

/** Adds a place events can happen at. Errors: AUTH.*, VALIDATION.FAILED. */
export const makeCreateLocation =
  ({ uow, clock, ids }: { uow: UnitOfWork; clock: Clock; ids: IdGenerator }) =>
  async (actor: Actor | null, input: NewLocation): Promise<Location> => {
    requireOrganizer(actor);
    const location = createLocation(input, ids.next(), clock.now());
    return uow.run(async (tx) => {
      await tx.locations.insert(location);
      await tx.outbox.add([locationCreated(location, ids.next())]);
      return location;
    });
  };

/** Errors: LOCATION.NOT_FOUND. */
export const makeGetLocation =
  ({ locations }: { locations: LocationRepository }) =>
  async (id: string): Promise<Location> => {
    const location = await locations.findById(id);
    if (!location) throw new LocationNotFoundError(id);
    return location;
  };

/** Errors: VALIDATION.FAILED (page, size). */
export const makeListLocations =
  ({ locations }: { locations: LocationRepository }) =>
  async (query: { page?: number; size?: number; search?: string }): Promise<Page<Location>> =>
    locations.list({ ...pageRequest(query.page, query.size), search: query.search?.trim() || undefined });
