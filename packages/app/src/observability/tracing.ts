import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK: W3C trace context, AsyncLocalStorage context, and an OTLP/HTTP
 * exporter (Jaeger accepts OTLP) — or the exporter a test passes. Without a call to this the
 * OpenTelemetry API stays a no-op and tracing costs nothing; the SDK is not even loaded.
 *
 * Outgoing HTTP calls (Auth, Payment and Weather services all use fetch, i.e. undici) get client
 * spans and a `traceparent` header from @opentelemetry/instrumentation-undici. It listens on
 * undici's diagnostics channels rather than patching modules, so it works in the esbuild bundle
 * and whatever the load order. Calls outside any trace (start-up JWKS fetch) make no span.
 */
export async function startTracing(options: { endpoint?: string; serviceName?: string; version?: string; exporter?: SpanExporter }): Promise<Tracing> {
  const [
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { BatchSpanProcessor, SimpleSpanProcessor },
    { NodeTracerProvider },
    { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION },
    { registerInstrumentations },
    { UndiciInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'backend-event', [ATTR_SERVICE_VERSION]: options.version ?? 'dev' }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation({ requireParentforSpans: true })] });
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
