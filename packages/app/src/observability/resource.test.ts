import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { environmentAttributes, serviceResource } from './resource';
import { startTracing, type Tracing } from './tracing';

// What the chart sets on a canary pod (deploy/helm/backend-event/templates/_helpers.tpl).
const CHART_ATTRIBUTES =
  'k8s.pod.name=backend-event-7d9f-abcde,k8s.node.name=node-3,k8s.namespace.name=aquastream,service.version=1.5.0,deployment.track=canary';
const saved = process.env.OTEL_RESOURCE_ATTRIBUTES;
const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(async () => {
  process.env.OTEL_RESOURCE_ATTRIBUTES = CHART_ATTRIBUTES;
  tracing = await startTracing({ exporter, serviceName: 'backend-event', version: '0.0.0-code' });
});

afterAll(async () => {
  await tracing.shutdown();
  if (saved === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  else process.env.OTEL_RESOURCE_ATTRIBUTES = saved;
});

describe('OTEL_RESOURCE_ATTRIBUTES', () => {
  it('is on every span: pod, node, namespace, track, and the deployed version over the code default', () => {
    trace.getTracer('test').startSpan('work').end();
    const [span] = exporter.getFinishedSpans();
    expect(span?.resource.attributes).toMatchObject({
      'service.name': 'backend-event',
      'service.version': '1.5.0',
      'k8s.pod.name': 'backend-event-7d9f-abcde',
      'k8s.node.name': 'node-3',
      'k8s.namespace.name': 'aquastream',
      'deployment.track': 'canary',
    });
  });

  it('is on every log line under the same names', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    logger.child({ component: 'x' }).info('hello');
    expect(lines[0]).toMatchObject({
      message: 'hello',
      'k8s.pod.name': 'backend-event-7d9f-abcde',
      'k8s.node.name': 'node-3',
      'service.version': '1.5.0',
      'deployment.track': 'canary',
    });
  });

  it('without the variable, the code defaults name the service and nothing else is made up', () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = '';
    try {
      expect(environmentAttributes()).not.toHaveProperty('k8s.pod.name');
      expect(serviceResource({ serviceName: 'backend-event', version: '0.2.0' }).attributes).toMatchObject({
        'service.name': 'backend-event',
        'service.version': '0.2.0',
      });
    } finally {
      process.env.OTEL_RESOURCE_ATTRIBUTES = CHART_ATTRIBUTES;
    }
  });

  it('a malformed variable is ignored (the specification), the process still starts', () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'k8s.pod.name=a=b,broken';
    try {
      expect(environmentAttributes()).toEqual({});
    } finally {
      process.env.OTEL_RESOURCE_ATTRIBUTES = CHART_ATTRIBUTES;
    }
  });
});
