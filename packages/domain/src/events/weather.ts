import type { Actor } from '../shared/actor';
import type { EventRepository } from './ports';
import { makeGetEvent } from './read-events';

export interface DailyForecast {
  date: string;
  temperatureMaxC: number | null;
  temperatureMinC: number | null;
  precipitationMm: number | null;
}

export interface Forecast {
  available: boolean;
  /** Shown to people when the forecast could not be had. */
  notice: string | null;
  source: string;
  days: DailyForecast[];
}

/** An external forecast provider. Implementations never throw: they answer a default with a notice. */
export interface WeatherService {
  forecast(place: { lat: number; lon: number }, from: Date, to: Date): Promise<Forecast>;
}

/**
 * The forecast for an event's place and dates. Errors: EVENT.NOT_FOUND (as for reading the event).
 */
export const makeGetEventWeather =
  ({ events, weather }: { events: EventRepository; weather: WeatherService }) =>
  async (actor: Actor | null, eventId: string): Promise<{ eventId: string; forecast: Forecast }> => {
    const event = await makeGetEvent({ events })(actor, eventId);
    const place = event.location?.coordinates;
    if (!place) return { eventId, forecast: { available: false, notice: 'This event has no coordinates to forecast for.', source: 'none', days: [] } };
    return { eventId, forecast: await weather.forecast(place, event.startDate, event.endDate) };
  };
