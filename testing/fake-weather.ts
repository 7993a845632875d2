import { startSwitchableServer } from './switchable-server';

/**
 * A real HTTP Open-Meteo-compatible forecast API for tests:
 * GET /v1/forecast?latitude&longitude&daily=...&start_date&end_date&timezone=UTC
 *   -> {daily: {time: [], temperature_2m_max: [], temperature_2m_min: [], precipitation_sum: []}}
 *
 * One day per date from start_date to end_date (inclusive). `mode` switches between answering
 * ('up'), failing with 500 ('error') and accepting without ever answering ('hang'); off() and on()
 * stop and start the server on the same port (connections refused in between).
 */
export type FakeWeatherMode = 'up' | 'error' | 'hang';

export interface FakeWeather {
  url: string;
  /** Query strings of the forecast requests received, in order. */
  requests: URLSearchParams[];
  mode: FakeWeatherMode;
  off(): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

function datesBetween(start: string, end: string): string[] {
  const from = Date.parse(`${start}T00:00:00Z`);
  const to = Date.parse(`${end}T00:00:00Z`);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const days: string[] = [];
  for (let t = from; t <= to && days.length < 32; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export async function startFakeWeather(): Promise<FakeWeather> {
  const requests: URLSearchParams[] = [];
  let mode: FakeWeatherMode = 'up';
  const server = await startSwitchableServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== '/v1/forecast') {
      res.writeHead(404).end();
      return;
    }
    requests.push(url.searchParams);
    if (mode === 'hang') return; // never answers; closed by off()/close()
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":true,"reason":"fake outage"}');
      return;
    }
    const time = datesBetween(url.searchParams.get('start_date') ?? '', url.searchParams.get('end_date') ?? '');
    const daily = {
      time,
      temperature_2m_max: time.map((_, i) => 20 + i),
      temperature_2m_min: time.map((_, i) => 10 + i),
      precipitation_sum: time.map((_, i) => i * 0.5),
    };
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({ latitude: Number(url.searchParams.get('latitude')), longitude: Number(url.searchParams.get('longitude')), timezone: 'UTC', daily }),
      );
  });
  return {
    get url() {
      return server.url;
    },
    requests,
    get mode() {
      return mode;
    },
    set mode(next: FakeWeatherMode) {
      mode = next;
    },
    off: () => server.off(),
    on: () => server.on(),
    close: () => server.close(),
  };
}
