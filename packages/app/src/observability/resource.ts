import { envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * The attributes of OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME), read by the OpenTelemetry
 * SDK's own environment detector: the chart sets k8s.pod.name, k8s.node.name, k8s.namespace.name,
 * service.version and deployment.track from the downward API. A malformed variable yields none
 * (the specification's rule), never a failed start.
 */
export function environmentAttributes(): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(envDetector.detect().attributes ?? {})) {
    if (typeof value === 'string' && value !== '') attributes[key] = value;
  }
  return attributes;
}

/**
 * The resource every span carries: the service's own name and version, overridden by what the
 * environment declares (the deployment knows the pod, node, image tag and track; the code does not).
 */
export function serviceResource(options: { serviceName?: string; version?: string }): Resource {
  return resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName ?? 'backend-event',
    [ATTR_SERVICE_VERSION]: options.version ?? 'dev',
  }).merge(resourceFromAttributes(environmentAttributes()));
}
