import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { organizer, publishedEvent, startTestApp, user, type TestApp } from '../../../testing/app';
import { startWorkers, type Workers } from './workers/index';

// The booking events of groups and check-in reach Kafka through the outbox like every other, in the same envelope.
let t: TestApp;
let workers: Workers;

beforeAll(async () => {
  t = await startTestApp({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_CONSUMER_GROUP: `booking-events-${randomUUID()}`,
    OUTBOX_RELAY_INTERVAL: '100ms',
    CONSUMERS_ENABLED: 'false',
    JOBS_ENABLED: 'false',
  });
  workers = startWorkers(t.deps, pino({ level: 'silent' }));
  await workers.ready;
  await t.deps.messaging.kafka!.ensureTopics();
});

afterAll(async () => {
  await workers?.stop();
  await t?.close();
});

type Json = Record<string, unknown>;
type Envelope = { specversion: string; id: string; type: string; source: string; time: string; subject: string; datacontenttype: string; data: Json };

/** The messages of `topic` keyed `key`, from the beginning, once `types` have all arrived and a little longer (to see duplicates). */
async function messagesOf(topic: string, key: string, types: string[]): Promise<Envelope[]> {
  const consumer = new Kafka({ brokers: [inject('kafkaBrokers')], logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${randomUUID()}` });
  const seen: Envelope[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() === key) seen.push(JSON.parse(message.value!.toString()) as Envelope);
    },
  });
  try {
    const until = Date.now() + 60_000;
    while (!types.every((type) => seen.some((e) => e.type === type))) {
      if (Date.now() > until) throw new Error(`timed out: have ${seen.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('check-in on Kafka', () => {
  it('one booking.checked_in on booking-events, keyed by the booking, as a CloudEvent like booking.created, however often the organizer checks in', async () => {
    const owner = await organizer();
    const event = await publishedEvent(t.app, owner);
    const booker = await user();
    const booking = (await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: event.id } })).json();
    await t.deps.database.db
      .updateTable('events')
      .set({ start_date: new Date(Date.now() - 3_600_000), end_date: new Date(Date.now() + 3_600_000) })
      .where('id', '=', event.id)
      .execute();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${booking.id}/check-in`, headers: owner.auth }));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    const { checkedInAt } = answers[0]!.json();

    const messages = await messagesOf('booking-events', booking.id, ['booking.created', 'booking.checked_in']);
    const created = messages.find((m) => m.type === 'booking.created')!;
    const checkedIn = messages.filter((m) => m.type === 'booking.checked_in');
    expect(checkedIn).toHaveLength(1);
    expect(Object.keys(checkedIn[0]!).sort()).toEqual(Object.keys(created).sort());
    expect(checkedIn[0]).toMatchObject({
      specversion: '1.0',
      source: created.source,
      subject: booking.id,
      datacontenttype: 'application/json',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      time: checkedInAt,
      data: { bookingId: booking.id, eventId: event.id, userId: booker.id, status: 'CONFIRMED', checkedInAt },
    });
  });
});

describe('group booking events on Kafka', () => {
  it('booking.created and booking.seats_reduced go to booking-events, keyed by the booking, as CloudEvents with the seats', async () => {
    const event = await publishedEvent(t.app, await organizer(), { capacity: 6 });
    const booker = await user();
    const booking = (await t.app.inject({ method: 'POST', url: '/api/v2/bookings', headers: booker.auth, payload: { eventId: event.id, seats: 4 } })).json();
    const reduced = await t.app.inject({ method: 'POST', url: `/api/v2/bookings/${booking.id}/reduce`, headers: booker.auth, payload: { seats: 1 } });
    expect(reduced.statusCode, reduced.body).toBe(200);

    const messages = await messagesOf('booking-events', booking.id, ['booking.created', 'booking.seats_reduced']);
    const created = messages.find((m) => m.type === 'booking.created')!;
    const seatsReduced = messages.find((m) => m.type === 'booking.seats_reduced')!;
    expect(Object.keys(seatsReduced).sort()).toEqual(Object.keys(created).sort());
    expect(seatsReduced).toMatchObject({
      specversion: '1.0',
      source: created.source,
      subject: booking.id,
      datacontenttype: 'application/json',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      data: { bookingId: booking.id, eventId: event.id, userId: booker.id, seats: 1, previousSeats: 4, seatsReleased: 3, refund: 'not-paid' },
    });
    expect(created.data).toMatchObject({ seats: 4 });
    expect(new Date(seatsReduced.time).getTime()).toBeGreaterThanOrEqual(new Date(created.time).getTime());
  });
});
