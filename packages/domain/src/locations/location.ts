import { ValidationError, type FieldError } from '../shared/domain-error';

export interface Coordinates {
  lat: number;
  lon: number;
}

export interface Location {
  id: string;
  name: string;
  address: string;
  coordinates: Coordinates | null;
  createdAt: Date;
}

export interface NewLocation {
  name: string;
  address: string;
  coordinates?: Coordinates | null;
}

export function createLocation(input: NewLocation, id: string, now: Date): Location {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  const address = input.address.trim();
  if (name.length < 1 || name.length > 255) errors.push({ field: 'name', message: 'must be 1..255 characters' });
  if (address.length < 1 || address.length > 500) errors.push({ field: 'address', message: 'must be 1..500 characters' });
  const c = input.coordinates;
  if (c) {
    if (!(c.lat >= -90 && c.lat <= 90)) errors.push({ field: 'coordinates.lat', message: 'must be between -90 and 90' });
    if (!(c.lon >= -180 && c.lon <= 180)) errors.push({ field: 'coordinates.lon', message: 'must be between -180 and 180' });
  }
  if (errors.length) throw new ValidationError(errors);
  return { id, name, address, coordinates: c ?? null, createdAt: now };
}
