import type { Booking, WaitlistEntry } from '@aquastream/domain';

export const bookingDto = (b: Booking) => ({
  id: b.id,
  eventId: b.eventId,
  userId: b.userId,
  status: b.status,
  amount: b.amount,
  paymentStatus: b.paymentStatus,
  paymentId: b.paymentId,
  expiresAt: b.expiresAt?.toISOString() ?? null,
  createdAt: b.createdAt.toISOString(),
  updatedAt: b.updatedAt.toISOString(),
});

export const waitlistDto = (w: WaitlistEntry) => ({
  id: w.id,
  eventId: w.eventId,
  userId: w.userId,
  status: w.status,
  position: w.position,
  offerExpiresAt: w.offerExpiresAt?.toISOString() ?? null,
  createdAt: w.createdAt.toISOString(),
});
