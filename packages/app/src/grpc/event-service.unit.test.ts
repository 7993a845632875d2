import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { eventServiceImplementation } from './event-service';
import { EVENT_SERVICE, loadPackageDefinition } from './proto';

describe('EventService implementation', () => {
  it('implements every method of the proto, so a method added to the contract cannot go unserved', () => {
    const implementation = eventServiceImplementation({
      useCases: { getEvent: async () => Promise.reject(new Error('unused')) },
      verifier: { verify: async () => Promise.reject(new Error('unused')) },
      logger: pino({ enabled: false }),
      requireAuth: false,
      maskNames: { response: [], details: [] },
      clock: { now: () => new Date() },
    });
    const methods = Object.keys(loadPackageDefinition()[EVENT_SERVICE] as object);
    expect(methods.length).toBeGreaterThan(0);
    expect(Object.keys(implementation).sort()).toEqual(methods.sort());
  });
});
