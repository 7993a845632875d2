import { seatsOf, type Booking } from '@aquastream/domain';
import type { CsvValue } from './csv';

/** The v2 contract shows a refused refund as REFUND_PENDING (see API_PAYMENT_STATUSES). */
const apiPaymentStatus = (b: Booking) => (b.paymentStatus === 'REFUND_FAILED' ? ('REFUND_PENDING' as const) : b.paymentStatus);

export const attendeeDto = (b: Booking) => ({
  bookingId: b.id,
  userId: b.userId,
  status: b.status as 'PENDING' | 'CONFIRMED',
  seats: seatsOf(b),
  participants: b.participants,
  paymentStatus: apiPaymentStatus(b),
  amount: b.amount,
  checkedInAt: b.checkedInAt?.toISOString() ?? null,
  bookedAt: b.createdAt.toISOString(),
});

export const ATTENDEE_CSV_HEADER = [
  'bookingId',
  'userId',
  'status',
  'seats',
  'participantName',
  'participantEmail',
  'participantPhone',
  'paymentStatus',
  'amount',
  'currency',
  'checkedInAt',
  'bookedAt',
] as const;

/** One record per participant; a booking without participants is one record with those columns empty. */
export function attendeeCsvRecords(b: Booking): CsvValue[][] {
  const people = b.participants.length ? b.participants : [null];
  return people.map((p) => [
    b.id,
    b.userId,
    b.status,
    seatsOf(b),
    p?.name,
    p?.email,
    p?.phone,
    apiPaymentStatus(b),
    b.amount?.amount,
    b.amount?.currency,
    b.checkedInAt?.toISOString(),
    b.createdAt.toISOString(),
  ]);
}
