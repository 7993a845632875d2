import { describe, expect, it } from 'vitest';
import { AdmissionRejectedError, createAdmission } from './admission';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

describe('admission', () => {
  it('runs up to its concurrency at once, queues the next ones in order, and refuses past the queue without running them', async () => {
    const admission = createAdmission('write', { concurrency: 2, queue: 2, maxWaitMs: 60_000 });
    const held = gate();
    const order: number[] = [];
    const call = (n: number) => admission.run(async () => (order.push(n), await held.opened, n));
    const running = [call(1), call(2), call(3), call(4)];
    await Promise.resolve();
    expect(admission.stats()).toMatchObject({ active: 2, queued: 2, rejected: 0 });

    let ranFifth = false;
    await expect(admission.run(async () => (ranFifth = true))).rejects.toMatchObject({ name: 'AdmissionRejectedError', reason: 'queue-full', lane: 'write' });
    expect(ranFifth).toBe(false);

    held.open();
    expect(await Promise.all(running)).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(admission.stats()).toMatchObject({ active: 0, queued: 0, rejected: 1 });
  });

  it('refuses a call that waited longer than maxWaitMs, and never runs it later', async () => {
    const admission = createAdmission('write', { concurrency: 1, queue: 10, maxWaitMs: 50 });
    const held = gate();
    const first = admission.run(() => held.opened);
    let ranLate = false;
    const waited = admission.run(async () => (ranLate = true));
    await expect(waited).rejects.toBeInstanceOf(AdmissionRejectedError);
    await expect(waited).rejects.toMatchObject({ reason: 'wait-timeout' });
    held.open();
    await first;
    await admission.run(async () => undefined); // the queue moved past the abandoned call
    expect(ranLate).toBe(false);
    expect(admission.stats().rejected).toBe(1);
  });

  it('lets a call that started in time run to its end, however long it takes', async () => {
    const admission = createAdmission('write', { concurrency: 1, queue: 1, maxWaitMs: 20 });
    const slow = admission.run(() => new Promise((resolve) => setTimeout(() => resolve('done'), 80)));
    await expect(slow).resolves.toBe('done');
  });
});
