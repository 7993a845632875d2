import { DomainError } from '../shared/domain-error';

/** The code does not exist for this event, is outside its validity window, or takes nothing off these seats (422). */
export class PromoCodeInvalidError extends DomainError {
  constructor(eventId: string, code: string, reason: string) {
    super('PROMO_CODE.INVALID', 'validation', `Promo code ${code} cannot be used for event ${eventId}: ${reason}`, { eventId, promoCode: code });
  }
}

/** Every use of the code is taken (409); one comes back when a booking that used it is cancelled or expires. */
export class PromoCodeExhaustedError extends DomainError {
  constructor(eventId: string, code: string, maxUses: number) {
    super('PROMO_CODE.EXHAUSTED', 'conflict', `Promo code ${code} has been used ${maxUses} time(s), its maximum`, { eventId, promoCode: code, maxUses });
  }
}

/** The caller already used the code on a booking that stands (409): one use per user. */
export class PromoCodeAlreadyUsedError extends DomainError {
  constructor(eventId: string, code: string) {
    super('PROMO_CODE.ALREADY_USED', 'conflict', `You have already used promo code ${code}`, { eventId, promoCode: code });
  }
}

/** The event already has a code spelled this way (409). */
export class PromoCodeConflictError extends DomainError {
  constructor(eventId: string, code: string) {
    super('PROMO_CODE.CONFLICT', 'conflict', `Event ${eventId} already has promo code ${code}`, { eventId, promoCode: code });
  }
}
