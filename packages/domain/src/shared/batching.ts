/**
 * Runs calls of one key in batches: while fewer than `maxInFlight` batches of its key run, a call
 * starts a batch at once (no timer, so a call that finds room waits for nothing but `gather`); calls arriving
 * while every slot of their key is busy wait, and go together, at most `maxBatch` at a time, as the
 * batch of the next slot that frees. Under load the batches grow by themselves, and the work shared
 * by a batch (a row lock, a round trip) is paid once per batch instead of once per call.
 */
export interface KeyedBatcher<I, O> {
  submit(key: string, item: I): Promise<O>;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

interface KeyState<I, O> {
  queue: Waiting<I, O>[];
  running: number;
}

/** `run` answers a batch in order, one result per item; a throw fails every item of the batch. */
export function createKeyedBatcher<I, O>(
  run: (key: string, items: I[]) => Promise<O[]>,
  options: {
    maxBatch: number;
    maxInFlight?: number;
    /**
     * The answer, if any, that a batch's results say the calls waiting for the key would get too
     * (the database unreachable): they get it at once instead of each batch waiting its turn to be
     * refused the same way. Calls submitted after it start batches as usual.
     */
    sharedAnswer?: (results: O[]) => O | undefined;
    /**
     * How a slot that was free waits before it takes its first batch (default: not at all). The app
     * passes setImmediate: the calls of one turn of the event loop (a burst of requests read
     * together) then go as one batch instead of the first going alone and the rest waiting for it.
     */
    gather?: (start: () => void) => void;
  },
): KeyedBatcher<I, O> {
  const { maxBatch, maxInFlight = 1, sharedAnswer, gather } = options;
  const keys = new Map<string, KeyState<I, O>>();

  // One slot: runs batches while calls wait, then gives the slot back.
  async function drain(key: string, state: KeyState<I, O>): Promise<void> {
    while (state.queue.length) {
      const batch = state.queue.splice(0, maxBatch);
      try {
        const results = await run(
          key,
          batch.map((w) => w.item),
        );
        batch.forEach((w, i) => w.resolve(results[i]!));
        const shared = sharedAnswer?.(results);
        if (shared !== undefined) for (const w of state.queue.splice(0)) w.resolve(shared);
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    state.running -= 1;
    if (state.running === 0) keys.delete(key);
  }

  return {
    submit(key, item) {
      return new Promise<O>((resolve, reject) => {
        const state = keys.get(key) ?? { queue: [], running: 0 };
        keys.set(key, state);
        state.queue.push({ item, resolve, reject });
        if (state.running < maxInFlight) {
          state.running += 1;
          if (gather) gather(() => void drain(key, state));
          else void drain(key, state);
        }
      });
    },
  };
}
