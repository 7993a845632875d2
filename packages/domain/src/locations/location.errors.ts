import { DomainError } from '../shared/domain-error';

export class LocationNotFoundError extends DomainError {
  constructor(id: string) {
    super('LOCATION.NOT_FOUND', 'not-found', `Location ${id} does not exist`, { locationId: id });
  }
}
