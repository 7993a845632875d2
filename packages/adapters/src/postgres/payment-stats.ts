import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';

export interface PaymentBacklog {
  /** Charges not settled yet: in flight, or queued while the Payment Service is away. */
  pending: number;
  /** How long the most overdue attempt has waited past its turn; 0 when none is overdue. */
  overdueSeconds: number;
  /** Bookings whose refund the Payment Service refused. */
  refundsFailed: number;
}

/** Read-only figures on payments for metrics and runbooks, in one query. */
export function createPgPaymentStats(db: Kysely<Database>) {
  return {
    async backlog(now: Date): Promise<PaymentBacklog> {
      const { rows } = await sql<{ pending: string; first_due: Date | null; refunds_failed: string }>`
        SELECT
          (SELECT count(*) FROM payment_attempts WHERE status = 'PENDING') AS pending,
          (SELECT min(next_attempt_at) FROM payment_attempts WHERE status = 'PENDING' AND next_attempt_at <= ${now}) AS first_due,
          (SELECT count(*) FROM bookings WHERE payment_status = 'REFUND_FAILED') AS refunds_failed`.execute(db);
      const row = rows[0]!;
      const due = row.first_due ? new Date(row.first_due) : null;
      return {
        pending: Number(row.pending),
        overdueSeconds: due ? Math.max(0, (now.getTime() - due.getTime()) / 1000) : 0,
        refundsFailed: Number(row.refunds_failed),
      };
    },
  };
}
