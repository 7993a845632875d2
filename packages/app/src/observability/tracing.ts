import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK: W3C trace context, AsyncLocalStorage context, and an OTLP/HTTP
 * exporter (Jaeger accepts OTLP) — or the exporter a test passes. Without a call to this the
 * OpenTelemetry API stays a no-op and tracing costs nothing; the SDK is not even loaded.
 */
export async function startTracing(options: { endpoint?: string; serviceName?: string; version?: string; exporter?: SpanExporter }): Promise<Tracing> {
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, SimpleSpanProcessor }, { NodeTracerProvider }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'backend-event', [ATTR_SERVICE_VERSION]: options.version ?? 'dev' }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
