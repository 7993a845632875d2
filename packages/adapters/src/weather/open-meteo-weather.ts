import type { Forecast, WeatherService } from '@aquastream/domain';
import type { DependencyPolicy } from '../resilience/index';
import { createOutboundHttp } from '../http/outbound';

export const WEATHER_UNAVAILABLE = 'The weather forecast is temporarily unavailable.';

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Daily forecast from an Open-Meteo-compatible API behind the weather breaker. It never fails:
 * when the API cannot answer, the default (no days) comes back with a visible notice, so the
 * event itself always answers.
 */
export function createOpenMeteoWeather(options: { baseUrl?: string; policy: DependencyPolicy; onFallback?: (error: unknown) => void }): WeatherService {
  const base = options.baseUrl?.replace(/\/$/, '');
  const http = base ? createOutboundHttp({ dependency: 'weather', title: 'Weather API', baseUrl: base, policy: options.policy }) : undefined;
  return {
    async forecast(place, from, to) {
      const fallback: Forecast = { available: false, notice: WEATHER_UNAVAILABLE, source: 'default', days: [] };
      if (!base || !http) return fallback;
      try {
        return await http.call(
          async (send) => {
            const url = new URL(`${base}/v1/forecast`);
            url.search = new URLSearchParams({
              latitude: String(place.lat),
              longitude: String(place.lon),
              daily: 'temperature_2m_max,temperature_2m_min,precipitation_sum',
              start_date: day(from),
              end_date: day(to),
              timezone: 'UTC',
            }).toString();
            const answer = await send(url);
            if (!answer.ok) throw new Error(`weather API answered ${answer.status}`);
            const body = JSON.parse(answer.text) as {
              daily?: { time?: string[]; temperature_2m_max?: number[]; temperature_2m_min?: number[]; precipitation_sum?: number[] };
            };
            const d = body.daily ?? {};
            return {
              available: true,
              notice: null,
              source: 'open-meteo',
              days: (d.time ?? []).map((date, i) => ({
                date,
                temperatureMaxC: d.temperature_2m_max?.[i] ?? null,
                temperatureMinC: d.temperature_2m_min?.[i] ?? null,
                precipitationMm: d.precipitation_sum?.[i] ?? null,
              })),
            };
          },
          { idempotent: true },
        );
      } catch (error) {
        options.onFallback?.(error);
        return fallback;
      }
    },
  };
}
