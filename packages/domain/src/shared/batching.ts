/**
 * Runs calls of one key in batches: a call arriving while none of its key runs starts a batch of
 * one at once (no timer, so a lone call waits for nothing); calls arriving while a batch of their
 * key runs wait for it and then go together as the next batch, at most `maxBatch` at a time. Under
 * load the batches grow by themselves, and the work shared by a batch (a row lock, a round trip)
 * is paid once per batch instead of once per call.
 */
export interface KeyedBatcher<I, O> {
  submit(key: string, item: I): Promise<O>;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** `run` answers a batch in order, one result per item; a throw fails every item of the batch. */
export function createKeyedBatcher<I, O>(run: (key: string, items: I[]) => Promise<O[]>, maxBatch: number): KeyedBatcher<I, O> {
  const queues = new Map<string, Waiting<I, O>[]>();

  async function drain(key: string, queue: Waiting<I, O>[]): Promise<void> {
    while (queue.length) {
      const batch = queue.splice(0, maxBatch);
      try {
        const results = await run(
          key,
          batch.map((w) => w.item),
        );
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    queues.delete(key);
  }

  return {
    submit(key, item) {
      return new Promise<O>((resolve, reject) => {
        const queue = queues.get(key);
        if (queue) {
          queue.push({ item, resolve, reject });
          return;
        }
        const fresh = [{ item, resolve, reject }];
        queues.set(key, fresh);
        void drain(key, fresh);
      });
    },
  };
}
