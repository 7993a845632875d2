import { PAYMENT_DLQ_TOPIC, type ReplayReport } from '@aquastream/adapters';

// The replay itself is messaging's (replayDeadLetters in @aquastream/adapters); the CLI prints it.
export function formatReport(report: ReplayReport): string {
  const lines = [
    ...report.replayable.map(
      (r) =>
        `${report.dryRun ? 'would replay' : 'replayed'}  ${PAYMENT_DLQ_TOPIC}/${r.partition}/${r.offset}  booking ${r.bookingId} payment ${r.paymentId}  (${r.reason})`,
    ),
    ...report.unreplayable.map((r) => `left         ${PAYMENT_DLQ_TOPIC}/${r.partition}/${r.offset}  ${r.reason}`),
    `${report.examined} dead letter(s) not replayed before; ${report.replayable.length} replayable, ${report.unreplayable.length} not; ${report.published} published`,
  ];
  if (report.dryRun && report.replayable.length > 0) lines.push('dry run: nothing was published; run again with --apply to replay');
  return lines.join('\n');
}
