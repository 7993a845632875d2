import { inject } from 'vitest';
import { describeInvalidationChannel } from './invalidation-channel.suite';

describeInvalidationChannel('single server', () => inject('redisUrl'));
