import type { Booking, PaymentStatus, WaitlistEntry } from '@aquastream/domain';

const REFUND_STATUS: Partial<Record<PaymentStatus, 'PENDING' | 'REFUNDED' | 'FAILED'>> = {
  REFUND_PENDING: 'PENDING',
  REFUNDED: 'REFUNDED',
  REFUND_FAILED: 'FAILED',
};

export const bookingDto = (b: Booking) => ({
  id: b.id,
  eventId: b.eventId,
  userId: b.userId,
  status: b.status,
  amount: b.amount,
  paymentStatus: b.paymentStatus === 'REFUND_FAILED' ? ('REFUND_PENDING' as const) : b.paymentStatus,
  refundStatus: REFUND_STATUS[b.paymentStatus] ?? null,
  seats: b.seats,
  participants: b.participants,
  partialRefundAmount: b.partialRefund?.amount ?? null,
  paymentId: b.paymentId,
  expiresAt: b.expiresAt?.toISOString() ?? null,
  checkedInAt: b.checkedInAt?.toISOString() ?? null,
  createdAt: b.createdAt.toISOString(),
  updatedAt: b.updatedAt.toISOString(),
});

export const waitlistDto = (w: WaitlistEntry) => ({
  id: w.id,
  eventId: w.eventId,
  userId: w.userId,
  status: w.status,
  seats: w.seats,
  position: w.position,
  offerExpiresAt: w.offerExpiresAt?.toISOString() ?? null,
  createdAt: w.createdAt.toISOString(),
});
