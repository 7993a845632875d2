import { inject } from 'vitest';
import { describeSharedRateCounter } from './rate-limit-counter.suite';

describeSharedRateCounter('single server', () => inject('redisUrl'));
