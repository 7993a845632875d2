import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizer, publishedEvent, startTestApp, type TestApp } from '../../../../testing/app';
import { startFakeWeather, type FakeWeather } from '../../../../testing/fake-weather';

// The app's weather view reads a real (fake) Open-Meteo-compatible server over HTTP.
let weather: FakeWeather;
let t: TestApp;
let eventId: string;

const WEATHER_TIMEOUT_MS = 500;

interface EventWeather {
  eventId: string;
  forecast: {
    available: boolean;
    notice: string | null;
    source: string;
    days: { date: string; temperatureMaxC: number | null; temperatureMinC: number | null; precipitationMm: number | null }[];
  };
}

beforeAll(async () => {
  weather = await startFakeWeather();
  t = await startTestApp({ WEATHER_API_URL: weather.url, WEATHER_TIMEOUT: `${WEATHER_TIMEOUT_MS}ms`, RATE_LIMIT_MAX: '100000' });
  const owner = await organizer();
  const location = await t.app.inject({
    method: 'POST',
    url: '/api/v2/locations',
    headers: owner.auth,
    payload: { name: 'Katun base camp', address: 'Chemal, Altai', coordinates: { lat: 51.41, lon: 86.0 } },
  });
  expect(location.statusCode, location.body).toBe(201);
  const start = new Date(Date.now() + 3 * 86_400_000);
  const end = new Date(start.getTime() + 2 * 86_400_000);
  eventId = (
    await publishedEvent(t.app, owner, { locationId: (location.json() as { id: string }).id, startDate: start.toISOString(), endDate: end.toISOString() })
  ).id;
});

afterAll(async () => {
  await t?.close();
  await weather?.close();
});

const forecast = () => t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}/weather` });

async function expectFallback() {
  const res = await forecast();
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as EventWeather;
  expect(body.eventId).toBe(eventId);
  expect(body.forecast.available).toBe(false);
  expect(body.forecast.notice).toEqual(expect.any(String));
  expect(body.forecast.notice!.length).toBeGreaterThan(0);
  expect(body.forecast.days).toEqual([]);
  // The event itself still answers.
  const event = await t.app.inject({ method: 'GET', url: `/api/v2/events/${eventId}` });
  expect(event.statusCode).toBe(200);
  expect((event.json() as { id: string }).id).toBe(eventId);
}

describe('event weather with a failing forecast service', () => {
  it('up: returns the forecast for the place and dates of the event', async () => {
    weather.mode = 'up';
    const asked = weather.requests.length;
    const res = await forecast();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as EventWeather;
    expect(body.forecast).toMatchObject({ available: true, notice: null, source: 'open-meteo' });
    expect(body.forecast.days.length).toBe(3);
    expect(body.forecast.days[0]).toEqual({ date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), temperatureMaxC: 20, temperatureMinC: 10, precipitationMm: 0 });

    const query = weather.requests[asked]!;
    expect(Number(query.get('latitude'))).toBeCloseTo(51.41);
    expect(Number(query.get('longitude'))).toBeCloseTo(86.0);
    expect(query.get('timezone')).toBe('UTC');
    expect(query.get('daily')).toContain('temperature_2m_max');
    expect(query.get('start_date')).toBe(body.forecast.days[0]!.date);
    expect(query.get('end_date')).toBe(body.forecast.days[2]!.date);
  });

  it('answering 500: 200 with available:false and a notice; the event still answers', async () => {
    weather.mode = 'error';
    await expectFallback();
  });

  it('off (connection refused): 200 with available:false and a notice; the event still answers', async () => {
    weather.mode = 'up';
    await weather.off();
    try {
      await expectFallback();
    } finally {
      await weather.on();
    }
  });

  it('hanging: the default forecast comes back within the time limit, not after the server gives up', async () => {
    weather.mode = 'hang';
    const started = Date.now();
    await expectFallback();
    // At most 3 attempts of WEATHER_TIMEOUT each, plus the backoff between them (at most 2 s each).
    expect(Date.now() - started).toBeLessThan(3 * WEATHER_TIMEOUT_MS + 2 * 2_000 + 1_000);
  });

  it('back up: the forecast is available again', async () => {
    weather.mode = 'up';
    const res = await forecast();
    expect(res.statusCode).toBe(200);
    expect((res.json() as EventWeather).forecast.available).toBe(true);
  });
});
