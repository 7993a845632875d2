import { describe, expect, it } from 'vitest';
import { etagOf, ifMatchCondition, noneMatchHits } from './conditional';

describe('If-Match', () => {
  it('sets no precondition when absent or *', () => {
    expect(ifMatchCondition(undefined)).toBeUndefined();
    expect(ifMatchCondition('*')).toBeUndefined();
    expect(ifMatchCondition(' * ')).toBeUndefined();
  });

  it('takes the versions of the strong tags of a list', () => {
    expect(ifMatchCondition(etagOf(7))).toEqual({ ifVersion: [7] });
    expect(ifMatchCondition('"3", "5" ,"8"')).toEqual({ ifVersion: [3, 5, 8] });
    expect(ifMatchCondition(', "3",, "4" ,')).toEqual({ ifVersion: [3, 4] }); // empty list elements are ignored
    expect(ifMatchCondition('"a,b", "4"')).toEqual({ ifVersion: [4] }); // a comma inside a tag
  });

  it('never matches a weak tag (strong comparison)', () => {
    expect(ifMatchCondition('W/"3"')).toEqual({ ifVersion: [] });
    expect(ifMatchCondition('W/"3", "4"')).toEqual({ ifVersion: [4] });
  });

  it.each(['3', '"3', '"3" "4"', '', ' ', '"a"', '"0"', '"-1"', '"99999999999999999"', '*, "3"'])(
    'matches nothing for %j (a malformed or unknown tag)',
    (value) => {
      expect(ifMatchCondition(value)).toEqual({ ifVersion: [] });
    },
  );
});

describe('If-None-Match', () => {
  it('hits the current version, weak or strong, alone or in a list, and * always', () => {
    expect(noneMatchHits('"4"', 4)).toBe(true);
    expect(noneMatchHits('W/"4"', 4)).toBe(true);
    expect(noneMatchHits('"1", W/"4"', 4)).toBe(true);
    expect(noneMatchHits('*', 4)).toBe(true);
  });

  it('misses other versions, malformed values and an absent header', () => {
    expect(noneMatchHits('"3"', 4)).toBe(false);
    expect(noneMatchHits('4', 4)).toBe(false);
    expect(noneMatchHits('"4" junk', 4)).toBe(false);
    expect(noneMatchHits(undefined, 4)).toBe(false);
  });
});
