import type { Kysely, Selectable } from 'kysely';
import type { Database, PaymentAttemptsTable } from '@aquastream/db';
import type { PaymentAttempt, PaymentAttemptRepository, PaymentAttemptStatus } from '@aquastream/domain';

const toAttempt = (r: Selectable<PaymentAttemptsTable>): PaymentAttempt => ({
  paymentId: r.payment_id,
  bookingId: r.booking_id,
  amount: { amount: Number(r.amount), currency: r.currency.trim() },
  status: r.status as PaymentAttemptStatus,
  failures: r.failures,
  nextAttemptAt: new Date(r.next_attempt_at),
  giveUpAt: new Date(r.give_up_at),
  lastError: r.last_error,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const fromAttempt = (a: PaymentAttempt) => ({
  payment_id: a.paymentId,
  booking_id: a.bookingId,
  amount: a.amount.amount,
  currency: a.amount.currency,
  status: a.status,
  failures: a.failures,
  next_attempt_at: a.nextAttemptAt,
  give_up_at: a.giveUpAt,
  // Error texts come from HTTP clients; a bounded copy is enough to diagnose.
  last_error: a.lastError?.slice(0, 1000) ?? null,
  created_at: a.createdAt,
  updated_at: a.updatedAt,
});

export function createPgPaymentAttemptRepository(db: Kysely<Database>): PaymentAttemptRepository {
  return {
    async insert(attempt) {
      await db.insertInto('payment_attempts').values(fromAttempt(attempt)).execute();
    },
    async findByIdForUpdate(paymentId) {
      const row = await db.selectFrom('payment_attempts').selectAll().where('payment_id', '=', paymentId).forUpdate().executeTakeFirst();
      return row ? toAttempt(row) : null;
    },
    async update(attempt) {
      const { payment_id, created_at: _created, ...values } = fromAttempt(attempt);
      await db.updateTable('payment_attempts').set(values).where('payment_id', '=', payment_id).execute();
    },
    async lockDue(now, limit) {
      const rows = await db
        .selectFrom('payment_attempts')
        .selectAll()
        .where('status', '=', 'PENDING')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map(toAttempt);
    },
  };
}
