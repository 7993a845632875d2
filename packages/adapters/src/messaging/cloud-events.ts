import { z } from 'zod';

/** A CloudEvents 1.0 envelope (JSON format), the shape of every message this service publishes. */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  /**
   * Version of the `data` of this `type` (a CloudEvents extension attribute). Absent in what 0.1.0
   * published, which is version 1. Data only gains fields, so a reader accepts unknown fields and a
   * version it does not know the number of; a change of meaning would be a new version.
   */
  dataversion?: number;
  data: T;
}

/** The `dataversion` of every event this release publishes. */
export const DATA_VERSION = 1;

/** The `source` attribute of every event this service publishes. */
export const SOURCE = 'urn:aquastream:backend-event';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** The one place a CloudEvent is built: the outbox relay and the dead-letter topic both come here. */
export function toCloudEvent<T>(fields: { id: string; type: string; subject: string; time: Date; data: T }, source: string = SOURCE): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: fields.id,
    type: fields.type,
    source,
    time: fields.time.toISOString(),
    subject: fields.subject,
    datacontenttype: 'application/json',
    dataversion: DATA_VERSION,
    data: fields.data,
  };
}

/** What every incoming message must be to reach a handler as an event: a CloudEvent 1.0 with an id and a type. */
const Envelope = z.looseObject({ specversion: z.literal('1.0'), id: z.string(), type: z.string() });

/** The CloudEvent in these bytes, or null when they are not one (a poison message). */
export function parseCloudEvent(raw: string): CloudEvent | null {
  try {
    const parsed = Envelope.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as unknown as CloudEvent) : null;
  } catch {
    return null;
  }
}
