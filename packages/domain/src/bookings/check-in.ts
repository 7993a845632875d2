import type { Actor } from '../shared/actor';
import type { Clock, IdGenerator } from '../shared/ports';
import type { UnitOfWork } from '../unit-of-work';
import type { Event } from '../events/event';
import type { Booking } from './booking';
import { CheckInClosedError, CheckInNotAllowedError } from './booking.errors';
import { lockForOrganizer } from './manage-bookings';
import { bookingEvent } from './seat-release';

/** When an event's bookings may be checked in: `opensAt` inclusive, `closesAt` exclusive. */
export interface CheckInWindow {
  opensAt: Date;
  closesAt: Date;
  /** The IANA zone whose calendar days the window follows. */
  timeZone: string;
}

const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading of `instant` in `timeZone`, as if that reading were UTC (ms since the epoch). */
function wallClock(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    format(timeZone)
      .formatToParts(new Date(instant))
      .filter((p) => p.type !== 'literal')
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) + (instant % 1000);
}

const dayOf = (wall: number) => Math.floor(wall / DAY_MS);

/**
 * The first instant of the calendar day `day` (days since 1970-01-01) in `timeZone`. The zone's
 * offset is taken on both sides of that midnight, so a day whose midnight a daylight-saving change
 * skips starts at the change (01:00 local), the earliest instant that still reads as that day.
 */
function startOfDay(day: number, timeZone: string): Date {
  const midnight = day * DAY_MS;
  const candidates = [midnight - DAY_MS, midnight, midnight + DAY_MS]
    .map((probe) => midnight - (wallClock(probe, timeZone) - probe))
    .filter((instant) => dayOf(wallClock(instant, timeZone)) === day);
  return new Date(candidates.length ? Math.min(...candidates) : midnight - (wallClock(midnight, timeZone) - midnight));
}

/**
 * Check-in is open on the event's calendar days: from the start of the day the event starts on
 * until the end of the day it ends on, in the event's time zone (UTC when it has none). An 08:00
 * rafting trip can be checked in from midnight, so early arrivals are let in, and until the end of
 * its last day, so a late list is still recorded.
 */
export function checkInWindow(event: Pick<Event, 'startDate' | 'endDate'> & { timeZone?: string | null }): CheckInWindow {
  const timeZone = event.timeZone || 'UTC';
  const first = dayOf(wallClock(event.startDate.getTime(), timeZone));
  const last = dayOf(wallClock(event.endDate.getTime(), timeZone));
  return { opensAt: startOfDay(first, timeZone), closesAt: startOfDay(last + 1, timeZone), timeZone };
}

export const isCheckInOpen = (window: CheckInWindow, now: Date): boolean => window.opensAt <= now && now < window.closesAt;

export interface CheckInDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * The event's organizer (or an admin) records that a CONFIRMED booking's people came, on the
 * event's days (see checkInWindow). Idempotent: checking in a booking already checked in answers
 * it unchanged and writes no second `booking.checked_in`. The booking stays CONFIRMED (attendance
 * is not a state of the booking's life; the completion job makes it COMPLETED as before); one the
 * event's end already made COMPLETED can still be checked in while the window is open (the rest of
 * that day), as late paperwork is normal.
 * Errors: AUTH.*, BOOKING.NOT_FOUND, EVENT.NOT_FOUND, BOOKING.CHECK_IN_NOT_ALLOWED, BOOKING.CHECK_IN_CLOSED.
 */
export const makeCheckInBooking =
  (deps: CheckInDeps) =>
  (actor: Actor | null, id: string): Promise<Booking> =>
    deps.uow.run(async (tx) => {
      const { booking, event } = await lockForOrganizer(tx, actor, id);
      if (booking.checkedInAt) return booking;
      if (booking.status !== 'CONFIRMED' && booking.status !== 'COMPLETED') throw new CheckInNotAllowedError(booking.id, booking.status);
      const now = deps.clock.now();
      const window = checkInWindow(event);
      if (!isCheckInOpen(window, now)) throw new CheckInClosedError(booking.id, window);
      const checkedIn: Booking = { ...booking, checkedInAt: now, updatedAt: now };
      await tx.bookings.update(checkedIn);
      await tx.outbox.add([bookingEvent('booking.checked_in', checkedIn, deps.ids.next(), now, { checkedInAt: now.toISOString() })]);
      return checkedIn;
    });
