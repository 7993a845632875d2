import { describe, expect, it } from 'vitest';
import { parseCloudEvent, SOURCE, toCloudEvent } from './cloud-events';
import { topicOf } from './topics';

describe('the CloudEvents mapping', () => {
  it('builds a CloudEvent 1.0 that reads back as itself', () => {
    const event = toCloudEvent({ id: 'e-1', type: 'booking.created', subject: 'b-1', time: new Date('2026-01-02T03:04:05Z'), data: { seats: 1 } });

    expect(event).toEqual({
      specversion: '1.0',
      id: 'e-1',
      type: 'booking.created',
      source: SOURCE,
      time: '2026-01-02T03:04:05.000Z',
      subject: 'b-1',
      datacontenttype: 'application/json',
      dataversion: 1,
      data: { seats: 1 },
    });
    expect(parseCloudEvent(JSON.stringify(event))).toEqual(event);
  });

  it('reads what 0.1.0 published (no dataversion) and what a later release may add (unknown attributes and fields)', () => {
    const older = {
      specversion: '1.0',
      id: 'e-2',
      type: 'booking.created',
      source: SOURCE,
      time: '2026-01-02T03:04:05.000Z',
      subject: 'b-2',
      datacontenttype: 'application/json',
      data: { seats: 1 },
    };
    expect(parseCloudEvent(JSON.stringify(older))).toEqual(older);
    const newer = { ...older, dataversion: 2, partitionkey: 'b-2', data: { seats: 1, category: 'kayak' } };
    expect(parseCloudEvent(JSON.stringify(newer))).toEqual(newer);
  });

  it.each([
    ['bytes that are not JSON', 'not json'],
    ['JSON that is no CloudEvent', '{"hello":"world"}'],
    ['another CloudEvents version', '{"specversion":"0.3","id":"x","type":"t"}'],
    ['an event without an id', '{"specversion":"1.0","type":"t"}'],
  ])('reads %s as a poison message (null)', (_, raw) => {
    expect(parseCloudEvent(raw)).toBeNull();
  });
});

describe('the topic registry', () => {
  it.each([
    ['event.published', 'event', 'event-events'],
    ['location.created', 'location', 'event-events'],
    ['booking.created', 'booking', 'booking-events'],
    ['payment.failed', 'booking', 'booking-events'],
    ['waitlist.offered', 'waitlist', 'booking-events'],
    ['payment.retry_requested', 'payment', 'payment-retry-queue'],
  ] as const)('sends %s (%s) to %s', (type, aggregateType, topic) => {
    expect(topicOf({ type, aggregateType })).toBe(topic);
  });
});
