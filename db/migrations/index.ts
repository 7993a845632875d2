import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-create-events';
import * as m0002 from './0002-extract-locations';
import * as m0003 from './0003-create-outbox';
import * as m0004 from './0004-event-ownership-seats-price';
import * as m0005 from './0005-bookings-waitlist';
import * as m0006 from './0006-outbox-trace-context';
import * as m0007 from './0007-payment-attempts';
import * as m0008 from './0008-refund-rules';
import * as m0009 from './0009-idempotency-key-expiry';
import * as m0010 from './0010-contract-locations';
import * as m0011 from './0011-group-bookings';
import * as m0012 from './0012-event-version-time-zone';
import * as m0013 from './0013-booking-check-in';
import * as m0014 from './0014-ticket-categories';
import * as m0015 from './0015-promo-codes';
import * as m0016 from './0016-retention-indexes';

/** Static list (not a folder scan) so the bundled service carries its migrations. Append only. */
export const migrations: Record<string, Migration> = {
  '0001-create-events': m0001,
  '0002-extract-locations': m0002,
  '0003-create-outbox': m0003,
  '0004-event-ownership-seats-price': m0004,
  '0005-bookings-waitlist': m0005,
  '0006-outbox-trace-context': m0006,
  '0007-payment-attempts': m0007,
  '0008-refund-rules': m0008,
  '0009-idempotency-key-expiry': m0009,
  '0010-contract-locations': m0010,
  '0011-group-bookings': m0011,
  '0012-event-version-time-zone': m0012,
  '0013-booking-check-in': m0013,
  '0014-ticket-categories': m0014,
  '0015-promo-codes': m0015,
  '0016-retention-indexes': m0016,
};

/**
 * Contract migrations drop what an older release still uses. The ordinary `migrate` applies every
 * other pending migration but not them; `migrate --contract` applies them, as a documented release step.
 */
export const CONTRACT_MIGRATIONS: ReadonlySet<string> = new Set(['0010-contract-locations']);
