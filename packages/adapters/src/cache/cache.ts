/**
 * A key-value cache with expiry. Implementations never throw: a cache that cannot answer
 * behaves as a miss, because the database remains the source of truth.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Increments a counter (used to version groups of keys); returns the new value. */
  increment(key: string): Promise<number>;
}
