import type { Event, Location } from '@aquastream/domain';

export const locationDto = (l: Location) => ({
  id: l.id,
  name: l.name,
  address: l.address,
  coordinates: l.coordinates,
  createdAt: l.createdAt.toISOString(),
});

export const eventDto = (e: Event) => ({
  id: e.id,
  title: e.title,
  description: e.description,
  startDate: e.startDate.toISOString(),
  endDate: e.endDate.toISOString(),
  location: e.location ? locationDto(e.location) : null,
  capacity: e.capacity,
  available: e.available,
  price: e.price,
  cancellationPolicy: { refundUntilHoursBeforeStart: e.cancellationPolicy.refundUntilHoursBeforeStart },
  timeZone: e.timeZone,
  maxSeatsPerBooking: e.maxSeatsPerBooking,
  waitlistAllowsPassing: e.waitlistAllowsPassing,
  status: e.status,
  organizerId: e.organizerId,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

/** The seed's v1 contract, frozen: these five fields, snake_case, location as text. */
export const eventV1Dto = (e: Event) => ({
  id: e.id,
  title: e.title,
  description: e.description,
  start_date: e.startDate.toISOString(),
  location: e.locationText ?? e.location?.name ?? null,
});
