import { describe, expect, it } from 'vitest';
import { createKeyedBatcher } from './batching';

/** A batch runner that records its batches and ends each one when told. */
function recorder() {
  const batches: { key: string; items: number[]; end: () => void; fail: (e: unknown) => void }[] = [];
  const run = (key: string, items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ key, items, end: () => resolve(items.map((i) => `${key}:${i}`)), fail: reject });
    });
  return { batches, run };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('createKeyedBatcher', () => {
  it('runs a lone call at once, as a batch of one', async () => {
    const { batches, run } = recorder();
    const batcher = createKeyedBatcher(run, { maxBatch: 10 });
    const answer = batcher.submit('e1', 1);
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    batches[0]!.end();
    await expect(answer).resolves.toBe('e1:1');
  });

  it('gathers the calls that arrive while a batch runs into the next batch, in order, at most maxBatch each', async () => {
    const { batches, run } = recorder();
    const batcher = createKeyedBatcher(run, { maxBatch: 3 });
    const answers = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit('e1', i));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    batches[0]!.end();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.end();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4], [5, 6]]);
    batches[2]!.end();
    await expect(Promise.all(answers)).resolves.toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5', 'e1:6']);
  });

  it('with gather, a free slot takes every call submitted before gather starts it, instead of the first alone', async () => {
    const { batches, run } = recorder();
    const starts: (() => void)[] = [];
    const batcher = createKeyedBatcher(run, { maxBatch: 3, maxInFlight: 2, gather: (start) => void starts.push(start) });
    const answers = [1, 2, 3, 4].map((i) => batcher.submit('e1', i));
    await tick();
    // Both slots were free: each waits for gather, and the first to start takes up to maxBatch.
    expect(batches).toEqual([]);
    expect(starts).toHaveLength(2);
    starts.forEach((start) => start());
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3], [4]]);
    // A slot that frees while calls wait goes on at once, without gather.
    const later = [5, 6].map((i) => batcher.submit('e1', i));
    batches[0]!.end();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3], [4], [5, 6]]);
    expect(starts).toHaveLength(2);
    batches[1]!.end();
    batches[2]!.end();
    await expect(Promise.all([...answers, ...later])).resolves.toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5', 'e1:6']);
  });

  it('runs different keys independently', async () => {
    const { batches, run } = recorder();
    const batcher = createKeyedBatcher(run, { maxBatch: 10 });
    const a = batcher.submit('e1', 1);
    const b = batcher.submit('e2', 2);
    await tick();
    expect(batches.map((x) => [x.key, x.items])).toEqual([
      ['e1', [1]],
      ['e2', [2]],
    ]);
    batches[1]!.end();
    await expect(b).resolves.toBe('e2:2');
    batches[0]!.end();
    await expect(a).resolves.toBe('e1:1');
  });

  it('fails every call of a failed batch and only those; the key keeps working', async () => {
    const { batches, run } = recorder();
    const batcher = createKeyedBatcher(run, { maxBatch: 10 });
    const first = batcher.submit('e1', 1);
    const second = [batcher.submit('e1', 2), batcher.submit('e1', 3)];
    await tick();
    batches[0]!.fail(new Error('database down'));
    await expect(first).rejects.toThrow('database down');
    await tick();
    expect(batches[1]!.items).toEqual([2, 3]);
    batches[1]!.end();
    await expect(Promise.all(second)).resolves.toEqual(['e1:2', 'e1:3']);
    const later = batcher.submit('e1', 4);
    await tick();
    expect(batches[2]!.items).toEqual([4]);
    batches[2]!.end();
    await expect(later).resolves.toBe('e1:4');
  });

  it("answers the calls waiting for the key with what sharedAnswer finds in a batch's results, at once; later calls start batches as usual", async () => {
    const batches: { items: number[]; end: (results: string[]) => void }[] = [];
    const run = (_key: string, items: number[]) => new Promise<string[]>((resolve) => batches.push({ items, end: resolve }));
    const batcher = createKeyedBatcher(run, { maxBatch: 10, maxInFlight: 2, sharedAnswer: (results) => results.find((r) => r === 'unreachable') });
    const running = [batcher.submit('e1', 1), batcher.submit('e1', 2)];
    const waiting = [batcher.submit('e1', 3), batcher.submit('e1', 4)];
    const otherKey = batcher.submit('e2', 5);
    await tick();
    batches[0]!.end(['unreachable']);
    await expect(running[0]).resolves.toBe('unreachable');
    await expect(Promise.all(waiting)).resolves.toEqual(['unreachable', 'unreachable']);
    // No batch was run for them; the other slot's batch and the other key are untouched.
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [5]]);
    batches[1]!.end(['booked 2']);
    batches[2]!.end(['booked 5']);
    await expect(running[1]).resolves.toBe('booked 2');
    await expect(otherKey).resolves.toBe('booked 5');
    // Results without it leave the waiting calls to the next batch.
    const next = [batcher.submit('e1', 6), batcher.submit('e1', 7), batcher.submit('e1', 8)];
    await tick();
    expect(batches.map((b) => b.items).slice(3)).toEqual([[6], [7]]);
    batches[3]!.end(['booked 6']);
    await tick();
    expect(batches.map((b) => b.items).slice(3)).toEqual([[6], [7], [8]]);
    batches[4]!.end(['booked 7']);
    batches[5]!.end(['booked 8']);
    await expect(Promise.all(next)).resolves.toEqual(['booked 6', 'booked 7', 'booked 8']);
  });

  it('runs up to maxInFlight batches of one key at once; the calls past them gather for the first slot that frees', async () => {
    const { batches, run } = recorder();
    const batcher = createKeyedBatcher(run, { maxBatch: 10, maxInFlight: 2 });
    const answers = [1, 2, 3, 4, 5].map((i) => batcher.submit('e1', i));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
    batches[1]!.end();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [3, 4, 5]]);
    batches[0]!.end();
    batches[2]!.end();
    await expect(Promise.all(answers)).resolves.toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5']);
    const later = batcher.submit('e1', 6);
    await tick();
    expect(batches.map((b) => b.items).at(-1)).toEqual([6]);
    batches.at(-1)!.end();
    await expect(later).resolves.toBe('e1:6');
  });
});
