import { describe, expect, it } from 'vitest';
import { prefersCsv } from './index';

describe('prefersCsv (Accept negotiation of the attendee list)', () => {
  it('answers CSV only when the client prefers it over JSON', () => {
    expect(prefersCsv('text/csv')).toBe(true);
    expect(prefersCsv('text/*')).toBe(true);
    expect(prefersCsv('application/json;q=0.5, text/csv')).toBe(true);
    expect(prefersCsv('text/csv, */*;q=0.1')).toBe(true);
  });

  it('answers JSON without an Accept header, for */*, when JSON ranks higher, and when neither is acceptable', () => {
    expect(prefersCsv(undefined)).toBe(false);
    expect(prefersCsv('*/*')).toBe(false);
    expect(prefersCsv('text/csv;q=0.5, application/json')).toBe(false);
    expect(prefersCsv('text/html')).toBe(false);
  });
});
