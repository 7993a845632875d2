import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';

export type CircuitStateName = 'closed' | 'open' | 'half_open';

export const CIRCUIT_STATE_NAMES: readonly CircuitStateName[] = ['closed', 'open', 'half_open'];

export type StateListener = (state: CircuitStateName, previous: CircuitStateName) => void;

export interface CircuitWatch {
  state(): CircuitStateName;
  /** Calls `listener` on each change of `state()`; returns the unsubscribe function. */
  onStateChange(listener: StateListener): () => void;
  /** Milliseconds until an open circuit admits trial calls; 0 when not open. */
  retryAfterMs(): number;
  dispose(): void;
}

/**
 * Observable state of a cockatiel circuit, with Resilience4j's automatic open -> half-open: cockatiel only
 * leaves Open on the next execute() once `halfOpenAfter` has passed, so a timer (unref'd, it never keeps the
 * process alive) reports `half_open` after `openDurationMs` without any call; the next call then finds cockatiel
 * ready to run it as a trial. The open time is read from Date.now(), the clock cockatiel compares against.
 */
export function watchCircuit(circuit: CircuitBreakerPolicy, options: { openDurationMs: number }): CircuitWatch {
  const { openDurationMs } = options;
  const listeners = new Set<StateListener>();
  let current = nameOf(circuit.state);
  let openedAt = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const subscription = circuit.onStateChange((next) => {
    clearTimer();
    if (next === CircuitState.Open) {
      openedAt = Date.now();
      schedule(openDurationMs);
    }
    set(nameOf(next));
  });

  function set(next: CircuitStateName): void {
    if (next === current) return;
    const previous = current;
    current = next;
    for (const listener of [...listeners]) {
      try {
        listener(next, previous);
      } catch (error) {
        process.emitWarning(error instanceof Error ? error : String(error), { code: 'RESILIENCE_STATE_LISTENER' });
      }
    }
  }

  function remainingOpenMs(): number {
    return Math.max(0, openedAt + openDurationMs - Date.now());
  }

  /** Open long enough: report half_open (cockatiel will run the next call as a trial). */
  function refresh(): void {
    if (current === 'open' && circuit.state === CircuitState.Open && remainingOpenMs() === 0) set('half_open');
  }

  function schedule(ms: number): void {
    timer = setTimeout(() => {
      timer = undefined;
      refresh();
      // Timers and Date.now() can disagree by a millisecond; try again rather than stay open.
      if (current === 'open' && circuit.state === CircuitState.Open) schedule(Math.max(1, remainingOpenMs()));
    }, ms);
    timer.unref?.();
  }

  function clearTimer(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  return {
    state() {
      refresh();
      return current;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    retryAfterMs() {
      refresh();
      return current === 'open' && circuit.state === CircuitState.Open ? remainingOpenMs() : 0;
    },
    dispose() {
      clearTimer();
      subscription.dispose();
      listeners.clear();
    },
  };
}

function nameOf(state: CircuitState): CircuitStateName {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half_open';
    default:
      return 'open'; // Open, and Isolated (held open by hand)
  }
}
