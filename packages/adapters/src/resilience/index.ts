export { DEFAULT_BREAKER, breakerConfig, type BreakerConfig } from './breaker-config';
export { DEFAULT_RETRY, exponentialBackoff, retryConfig, type Backoff, type Jitter, type RetryConfig } from './retry-config';
export { CIRCUIT_STATE_NAMES, type CircuitStateName, type StateListener } from './circuit-state';
export { CountWindowBreaker, type WindowStats } from './count-window-breaker';
export { CircuitOpenError, isBrokenCircuit } from './errors';
export type { Clock } from './timed-call';
export {
  DEFAULT_TIMEOUT_MS,
  createDependencyPolicy,
  type DependencyPolicy,
  type DependencyPolicyOptions,
  type ExecuteOptions,
  type PolicyStats,
} from './dependency-policy';
export { DEPENDENCY_NAMES, createPolicies, type DependencyName, type DependencyPolicies, type PoliciesConfig } from './registry';
export { AdmissionRejectedError, createAdmission, type Admission, type AdmissionConfig, type AdmissionStats } from './admission';
