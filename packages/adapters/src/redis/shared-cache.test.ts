import { inject } from 'vitest';
import { describeSharedCache } from './shared-cache.suite';

describeSharedCache('single server', () => inject('redisUrl'));
