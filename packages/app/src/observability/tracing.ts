import { createRequire } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { serviceResource } from './resource';

export interface Tracing {
  shutdown(): Promise<void>;
}

/** Modules the instrumentations patch, loaded through `require` once they are registered. */
const PATCHED_MODULES = ['pg', 'ioredis', '@grpc/grpc-js'];

/**
 * Registers the OpenTelemetry SDK: W3C trace context, AsyncLocalStorage context, and an OTLP/HTTP
 * exporter (Jaeger accepts OTLP) — or the exporter a test passes. Without a call to this the
 * OpenTelemetry API stays a no-op and tracing costs nothing; the SDK is not even loaded.
 *
 * Spans of the libraries come from the OpenTelemetry instrumentation packages:
 * - undici: outgoing HTTP calls (Auth, Payment and Weather services all use fetch) get client
 *   spans and a `traceparent` header. It listens on undici's diagnostics channels, so load order
 *   does not matter.
 * - pg (queries), ioredis (commands), grpc (server spans of EventService, client spans of callers):
 *   these patch prototypes of their module when it is required. The process has usually imported
 *   them already (ES imports are hoisted, also in the bundle, where npm packages stay external), so
 *   each is required once more here: the hook sees the cached module and patches the shared
 *   prototypes, which covers pools and clients created before.
 * Only operations inside a trace make spans (no root spans for pool checks or health pings).
 */
export async function startTracing(options: { endpoint?: string; serviceName?: string; version?: string; exporter?: SpanExporter }): Promise<Tracing> {
  const [
    { OTLPTraceExporter },
    { BatchSpanProcessor, SimpleSpanProcessor },
    { NodeTracerProvider },
    { registerInstrumentations },
    { UndiciInstrumentation },
    { PgInstrumentation },
    { IORedisInstrumentation },
    { GrpcInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-grpc'),
  ]);
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES (pod, node, version, track from the chart) over the service's defaults.
    resource: serviceResource(options),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new UndiciInstrumentation({ requireParentforSpans: true }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new GrpcInstrumentation(),
    ],
  });
  const load = createRequire(import.meta.url);
  for (const name of PATCHED_MODULES) load(name);
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
