import type { ColumnType, Generated } from 'kysely';

/** Column types of the database; the API never sees them (adapters map to domain types). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface EventsTable {
  id: string;
  title: string;
  description: string | null;
  start_date: Timestamp;
  end_date: Timestamp | null;
  location_id: string | null;
  // location_text (v1's free text) is no longer read or written: v1 text is stored as a location.
  // The column stays until the contract step (0008, `migrate --contract`) drops it.
  capacity: number | null;
  status: string;
  organizer_id: string | null;
  available: number | null;
  price_amount: ColumnType<string | null, number | string | null, number | string | null>;
  price_currency: string | null;
  refund_until_hours: ColumnType<number, number | undefined, number>;
  max_seats_per_booking: ColumnType<number, number | undefined, number>;
  waitlist_allows_passing: ColumnType<boolean, boolean | undefined, boolean>;
  waitlist_held: ColumnType<number, number | undefined, number>;
  /** Bumped by a trigger on every UPDATE of the row (0012): never written by the code. */
  version: ColumnType<string | number, never, never>;
  time_zone: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface LocationsTable {
  id: string;
  name: string;
  address: string;
  latitude: number | null;
  longitude: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OutboxTable {
  seq: Generated<string>;
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  type: string;
  payload: ColumnType<unknown, string, string>;
  occurred_at: Timestamp;
  published_at: Timestamp | null;
  attempts: Generated<number>;
  last_error: string | null;
  trace_context: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

export interface BookingsTable {
  id: string;
  event_id: string;
  user_id: string;
  status: string;
  amount: ColumnType<string | null, number | string | null, number | string | null>;
  currency: string | null;
  payment_status: string;
  payment_id: string | null;
  expires_at: Timestamp | null;
  refund_due_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  checked_in_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  seats: ColumnType<number, number | undefined, number>;
  participants: ColumnType<unknown, string | undefined, string>;
  partial_refund_amount: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  partial_refund_key: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PaymentAttemptsTable {
  payment_id: string;
  booking_id: string;
  amount: ColumnType<string, number | string, number | string>;
  currency: string;
  status: string;
  failures: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  give_up_at: Timestamp;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WaitlistTable {
  id: string;
  event_id: string;
  user_id: string;
  status: string;
  offer_expires_at: Timestamp | null;
  seats: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  seq: Generated<string>;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status: string;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  created_at: Timestamp;
}

export interface ProcessedMessagesTable {
  consumer: string;
  message_id: string;
  processed_at: Timestamp;
}

export interface EventCategoriesTable {
  id: string;
  event_id: string;
  name: string;
  price_amount: ColumnType<string | null, number | string | null, number | string | null>;
  price_currency: string | null;
  quota: number | null;
  position: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BookingLinesTable {
  booking_id: string;
  line_no: number;
  /** null: the event's implicit category (an event without categories). */
  category_id: string | null;
  seats: number;
  unit_price: ColumnType<string, number | string, number | string>;
  discount: ColumnType<string, number | string | undefined, number | string>;
  currency: string | null;
  participants: ColumnType<unknown, string | undefined, string>;
}

export interface PromoCodesTable {
  id: string;
  event_id: string;
  code: string;
  percent_off: number | null;
  amount_off: ColumnType<string | null, number | string | null, number | string | null>;
  currency: string | null;
  max_uses: number | null;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  category_ids: string[] | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PromoCodeUsesTable {
  booking_id: string;
  promo_code_id: string;
  user_id: string;
  created_at: Timestamp;
}

export interface Database {
  events: EventsTable;
  locations: LocationsTable;
  outbox: OutboxTable;
  bookings: BookingsTable;
  waitlist: WaitlistTable;
  payment_attempts: PaymentAttemptsTable;
  idempotency_keys: IdempotencyKeysTable;
  processed_messages: ProcessedMessagesTable;
  event_categories: EventCategoriesTable;
  booking_lines: BookingLinesTable;
  promo_codes: PromoCodesTable;
  promo_code_uses: PromoCodeUsesTable;
}
