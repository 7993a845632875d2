import { ValidationError, whyNotBookable, type Event, type FieldError } from '@aquastream/domain';
import { eventV1Dto } from '../routes/events/presenters';

/** Plain objects shaped like the proto messages (proto field names, enums as their names). */
export interface EventDetailsMessage {
  capacity?: number;
  available?: number;
  status?: string;
  price?: { amount: number; currency: string };
  location?: { id: string; name: string; address: string; coordinates?: { lat: number; lon: number } };
  organizer_id?: string;
  created_at?: string;
  updated_at?: string;
}

export interface EventResponseMessage {
  id?: string;
  title?: string;
  description?: string;
  start_date?: string;
  location?: string;
  end_date?: string;
  details?: EventDetailsMessage;
}

export interface EventResponseV1Message {
  id: string;
  title: string;
  description: string;
  start_date: string;
  location: string;
}

export interface EventAvailabilityMessage {
  event_id: string;
  capacity: number;
  available: number;
  bookable: boolean;
  /** Absent when bookable (UNSPECIFIED, the proto3 default). */
  reason?: string;
  status: string;
  start_date: string;
}

export const statusName = (status: Event['status']): string => `EVENT_STATUS_${status}`;

/** What GetEvent fills: the top-level fields, and which details (none, all, or some). */
export interface Selection {
  fields: ReadonlySet<string>;
  details: 'none' | 'all' | ReadonlySet<string>;
}

/**
 * Reads GetEventRequest.fields against the field names of EventResponse and EventDetails (taken
 * from the proto, so a field added there is selectable at once). An empty mask selects every
 * top-level field; `details`, `details.<field>` or include_details select details.
 */
export function parseSelection(
  mask: readonly string[],
  includeDetails: boolean,
  names: { response: readonly string[]; details: readonly string[] },
): Selection {
  const topLevel = names.response.filter((n) => n !== 'details');
  const errors: FieldError[] = [];
  const fields = new Set<string>();
  const someDetails = new Set<string>();
  let allDetails = includeDetails;
  for (const raw of mask) {
    const path = raw.trim();
    if (path === 'details') allDetails = true;
    else if (path.startsWith('details.') && names.details.includes(path.slice('details.'.length))) someDetails.add(path.slice('details.'.length));
    else if (topLevel.includes(path)) fields.add(path);
    else errors.push({ field: 'fields', message: `"${raw}" is not a field of EventResponse (use ${[...topLevel, 'details', 'details.<field>'].join(', ')})` });
  }
  if (errors.length) throw new ValidationError(errors);
  return {
    fields: mask.length === 0 ? new Set(topLevel) : fields,
    details: allDetails ? 'all' : someDetails.size ? someDetails : 'none',
  };
}

function pick<T extends object>(full: T, keys: ReadonlySet<string>): Partial<T> {
  return Object.fromEntries(Object.entries(full).filter(([key, value]) => keys.has(key) && value !== undefined)) as Partial<T>;
}

export function eventDetails(e: Event): EventDetailsMessage {
  return {
    capacity: e.capacity,
    available: e.available,
    status: statusName(e.status),
    price: e.price ? { amount: e.price.amount, currency: e.price.currency } : undefined,
    location: e.location
      ? { id: e.location.id, name: e.location.name, address: e.location.address, coordinates: e.location.coordinates ?? undefined }
      : undefined,
    organizer_id: e.organizerId,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

/** The v1 answer reuses the REST v1 presenter, so both v1 APIs can never drift apart. Null is "". */
export function eventResponseV1(e: Event): EventResponseV1Message {
  const v1 = eventV1Dto(e);
  return { id: v1.id, title: v1.title, description: v1.description ?? '', start_date: v1.start_date, location: v1.location ?? '' };
}

export function eventResponse(e: Event, selection: Selection): EventResponseMessage {
  const v1 = eventResponseV1(e);
  const full: EventResponseMessage = { ...v1, end_date: e.endDate.toISOString() };
  const response = pick(full, selection.fields);
  if (selection.details === 'all') response.details = eventDetails(e);
  else if (selection.details !== 'none') response.details = pick(eventDetails(e), selection.details);
  return response;
}

/** The domain's bookability rule (the one bookSeat applies), so `bookable` predicts what a booking gets. */
export function availability(e: Event, now: Date): EventAvailabilityMessage {
  const reason = whyNotBookable(e, now) ?? 'UNSPECIFIED';
  return {
    event_id: e.id,
    capacity: e.capacity,
    available: e.available,
    bookable: reason === 'UNSPECIFIED',
    ...(reason === 'UNSPECIFIED' ? {} : { reason: `NOT_BOOKABLE_REASON_${reason}` }),
    status: statusName(e.status),
    start_date: e.startDate.toISOString(),
  };
}
