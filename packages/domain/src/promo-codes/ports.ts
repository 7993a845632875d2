import type { PromoCode, PromoCodeWithUses } from './promo-code';

/** Uses of one code that count now (bookings neither CANCELLED nor EXPIRED): in all, and the caller's. */
export interface PromoCodeUses {
  uses: number;
  byUser: number;
}

export interface PromoCodeRepository {
  /** Throws PromoCodeConflictError when the event has the code already (case-insensitively). */
  insert(code: PromoCode): Promise<void>;
  /** The event's code spelled `code` in any case; null when there is none. */
  findByCode(eventId: string, code: string): Promise<PromoCode | null>;
  /** The event's codes, oldest first, with the uses that count now. */
  listOfEvent(eventId: string): Promise<PromoCodeWithUses[]>;
  /**
   * Locks the code for the rest of the transaction (concurrent bookers using it queue on any
   * replica), then counts its uses: so a count and the use recorded after it are never raced.
   */
  lockAndCountUses(codeId: string, userId: string): Promise<PromoCodeUses>;
  /** The code a booking used; null when none. */
  codeOfBooking(bookingId: string): Promise<string | null>;
  /** The same counts without a lock: for refusing a rush on a used-up code before any transaction. */
  countUses(codeId: string, userId: string): Promise<PromoCodeUses>;
  recordUse(use: { promoCodeId: string; bookingId: string; userId: string; at: Date }): Promise<void>;
}
