import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { redisTarget } from './cache';

describe('which Redis the configuration names', () => {
  it('is none without settings, one server with REDIS_URL', () => {
    expect(redisTarget(loadConfig({}))).toBeUndefined();
    expect(redisTarget(loadConfig({ REDIS_URL: 'redis://cache:6379/2' }))).toEqual({ kind: 'single', url: 'redis://cache:6379/2' });
  });

  it('is the master behind the sentinels of REDIS_SENTINELS (port 26379 unless given), named by REDIS_SENTINEL_NAME', () => {
    expect(redisTarget(loadConfig({ REDIS_SENTINELS: 's1:26379, s2:26380,s3:26381', REDIS_SENTINEL_PASSWORD: 'pw' }))).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: 's3', port: 26381 },
      ],
      name: 'mymaster',
      sentinelPassword: 'pw',
    });
    expect(redisTarget(loadConfig({ REDIS_SENTINELS: 's1:1', REDIS_SENTINEL_NAME: 'cache' }))).toMatchObject({ name: 'cache' });
  });

  it('is a cluster with REDIS_CLUSTER_NODES', () => {
    expect(redisTarget(loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,[::1]:7001' }))).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
    });
  });

  it('stops start-up on a list that is not host:port, or on two topologies at once, naming the variables', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: 's1,s2' })).toThrow(/REDIS_SENTINELS must be host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://n1:7000' })).toThrow(/REDIS_CLUSTER_NODES must be host:port/);
    expect(() => loadConfig({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'n1:7000' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_URL, REDIS_SENTINELS: set only one/);
  });
});
