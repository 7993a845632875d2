import type { Logger } from 'pino';
import { createHttpPaymentGateway, createOpenMeteoWeather, createSandboxPaymentGateway, type DependencyPolicy } from '@aquastream/adapters';
import type { PaymentGateway, WeatherService } from '@aquastream/domain';
import type { Config } from '../config';

/** The Payment Service at PAYMENT_SERVICE_URL, or a sandbox that approves every charge. */
export function createPayments(config: Config, policy: DependencyPolicy): PaymentGateway {
  return config.PAYMENT_SERVICE_URL
    ? createHttpPaymentGateway({
        baseUrl: config.PAYMENT_SERVICE_URL,
        timeoutMs: config.PAYMENT_SERVICE_TIMEOUT,
        policy,
      })
    : createSandboxPaymentGateway();
}

/** Open-Meteo forecasts; a default forecast while it is unavailable. */
export function createWeather(config: Config, policy: DependencyPolicy, logger?: Logger): WeatherService {
  return createOpenMeteoWeather({
    baseUrl: config.WEATHER_API_URL,
    policy,
    onFallback: (error) => logger?.warn({ err: error }, 'weather API unavailable: answering the default forecast'),
  });
}
