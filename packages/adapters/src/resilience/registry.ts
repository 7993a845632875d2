import { createDependencyPolicy, type DependencyPolicy, type DependencyPolicyOptions } from './dependency-policy';

// Redis has no breaker: the layered cache falls back to its in-process layer on every failed
// command and ioredis reconnects by itself (see cache/layered-cache.ts).
export const DEPENDENCY_NAMES = ['postgres', 'auth-service', 'payment-service', 'weather'] as const;

export type DependencyName = (typeof DEPENDENCY_NAMES)[number];

/** Per-dependency options; a missing entry (or field) takes the defaults. */
export type PoliciesConfig = Partial<Record<DependencyName, DependencyPolicyOptions>>;

export interface DependencyPolicies {
  get(name: DependencyName): DependencyPolicy;
  /** Every policy, in DEPENDENCY_NAMES order, for metrics and health. */
  all(): readonly DependencyPolicy[];
  dispose(): void;
}

/**
 * Builds the named policies once; share the result for the process's lifetime (a breaker only works
 * when every call to its dependency goes through it). `shared` applies under each dependency's own options.
 */
export function createPolicies(config: PoliciesConfig = {}, shared: DependencyPolicyOptions = {}): DependencyPolicies {
  const policies = new Map<DependencyName, DependencyPolicy>(
    DEPENDENCY_NAMES.map((name) => {
      const own = config[name] ?? {};
      const options: DependencyPolicyOptions = { ...shared, ...own, breaker: { ...shared.breaker, ...own.breaker } };
      const retry = own.retry ?? shared.retry;
      options.retry = retry === false ? false : { ...(shared.retry || {}), ...retry };
      return [name, createDependencyPolicy(name, options)];
    }),
  );
  const all = [...policies.values()];
  return {
    get(name) {
      const policy = policies.get(name);
      if (!policy) throw new Error(`No resilience policy named '${name}'`);
      return policy;
    },
    all: () => all,
    dispose: () => all.forEach((policy) => policy.dispose()),
  };
}
