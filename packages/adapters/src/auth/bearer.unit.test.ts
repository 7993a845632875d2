import { describe, expect, it } from 'vitest';
import { bearerToken } from './bearer';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER   abc', 'abc'],
  ])('reads the token of %j', (value, token) => {
    expect(bearerToken(value)).toBe(token);
  });

  it.each([undefined, null, 42, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer two tokens', 'abc'])('refuses %j', (value) => {
    expect(bearerToken(value)).toBeNull();
  });
});
