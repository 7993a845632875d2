import { describe, expect, it } from 'vitest';
import { implicitCategory, type TicketCategory } from './category';
import {
  allocate,
  amountOfLines,
  discountKept,
  legacyReducedAmount,
  linesMatch,
  percentOf,
  quote,
  reduceLines,
  reducedBooking,
  type BookingLine,
  type DiscountTerms,
} from './pricing';

const at = new Date('2030-01-01T00:00:00Z');
const category = (id: string, amount: number | null, currency = 'RUB'): TicketCategory => ({
  id,
  eventId: 'event-1',
  name: id,
  price: amount === null ? null : { amount, currency },
  quota: null,
  position: 0,
  implicit: false,
  createdAt: at,
  updatedAt: at,
});
const percent = (p: number, categoryIds: string[] | null = null): DiscountTerms => ({ discount: { kind: 'PERCENT', percent: p }, categoryIds });
const off = (amount: number, categoryIds: string[] | null = null): DiscountTerms => ({
  discount: { kind: 'AMOUNT', amount: { amount, currency: 'RUB' } },
  categoryIds,
});
const line = (seats: number, unitPrice: number, discount = 0, categoryId = 'adult'): BookingLine => ({
  categoryId,
  seats,
  unitPrice,
  discount,
  currency: 'RUB',
  participants: [],
});

// Percentages are rounded half-up to a whole minor unit, per line: 0.5 goes up, less goes down.
describe('percentOf rounds half-up in minor units', () => {
  it.each([
    [1000, 10, 100],
    [9999, 10, 1000], // 999.9
    [1005, 10, 101], // 100.5: the tie goes up
    [1004, 10, 100], // 100.4
    [15, 10, 2], // 1.5
    [14, 10, 1], // 1.4
    [5, 10, 1], // 0.5
    [4, 10, 0], // 0.4
    [1, 50, 1], // 0.5
    [333, 33, 110], // 109.89
    [1, 1, 0], // 0.01
    [0, 25, 0],
    [12345, 100, 12345],
    [100_000_000, 37, 37_000_000],
  ])('%i × %i %% = %i', (amount, p, expected) => {
    expect(percentOf(amount, p)).toBe(expected);
  });
});

describe('quote: the price of a booking from its lines, its categories and a code', () => {
  const adult = category('adult', 5000);
  const child = category('child', 3000);
  const free = category('free', null);
  it.each([
    ['one line, no code', [[adult, 2]], null, [0], 10000],
    [
      'two lines, no code',
      [
        [adult, 2],
        [child, 1],
      ],
      null,
      [0, 0],
      13000,
    ],
    [
      '10 % per line, each line rounded',
      [
        [category('a', 3333), 3],
        [category('b', 1005), 1],
      ],
      percent(10),
      [1000, 101],
      9999 - 1000 + 1005 - 101,
    ],
    [
      'percent for one category only',
      [
        [adult, 1],
        [child, 2],
      ],
      percent(50, ['child']),
      [0, 3000],
      8000,
    ],
    ['100 % leaves 0, never below', [[adult, 1]], percent(100), [5000], 0],
    ['fixed amount on one line', [[adult, 2]], off(700), [700], 9300],
    [
      'fixed amount split by price over two lines',
      [
        [adult, 1],
        [child, 1],
      ],
      off(800),
      [500, 300],
      7200,
    ],
    [
      'fixed split with a remainder: the larger remainder gets the unit',
      [
        [category('a', 100), 1],
        [category('b', 200), 1],
      ],
      off(100),
      [33, 67],
      200,
    ],
    ['fixed amount larger than the price: capped, never below 0', [[child, 1]], off(10_000), [3000], 0],
    [
      'fixed amount for one category only',
      [
        [adult, 1],
        [child, 1],
      ],
      off(1000, ['adult']),
      [1000, 0],
      7000,
    ],
    [
      'free seats take no discount',
      [
        [free, 2],
        [adult, 1],
      ],
      percent(20),
      [0, 1000],
      4000,
    ],
  ] as const)('%s', (_name, lines, terms, discounts, total) => {
    const q = quote(
      lines.map(([c, seats]) => ({ category: c, seats })),
      terms,
    );
    expect(q.lines.map((l) => l.discount)).toEqual(discounts);
    expect(q.total).toBe(total);
    expect(q.gross - q.discount).toBe(total);
    for (const l of q.lines) expect(l.discount).toBeLessThanOrEqual(l.unitPrice * l.seats);
  });

  it('refuses lines priced in two currencies', () => {
    expect(() =>
      quote([
        { category: category('a', 100, 'RUB'), seats: 1 },
        { category: category('b', 100, 'EUR'), seats: 1 },
      ]),
    ).toThrow(/one currency/);
  });

  it("prices an event's implicit category at the event's price, as seats × price did", () => {
    const implicit = implicitCategory({ id: 'event-1', price: { amount: 1500, currency: 'EUR' }, createdAt: at, updatedAt: at });
    const q = quote([{ category: implicit, seats: 3 }]);
    expect(amountOfLines(q.lines)).toEqual({ amount: 4500, currency: 'EUR' });
    expect(amountOfLines(quote([{ category: implicitCategory({ id: 'e', price: null, createdAt: at, updatedAt: at }), seats: 2 }]).lines)).toBeNull();
  });
});

describe('allocate splits an amount in whole units that add up', () => {
  it.each([
    [100, [1, 1, 1], [34, 33, 33]],
    [500, [1000, 1000, 1000], [167, 167, 166]],
    [7, [2, 3], [3, 4]],
    [0, [5, 5], [0, 0]],
    [10, [0, 0], [0, 0]],
  ])('%i over %j = %j', (amount, weights, parts) => {
    expect(allocate(amount, weights)).toEqual(parts);
    if (weights.some((w) => w > 0)) expect(parts.reduce((s, p) => s + p, 0)).toBe(amount);
  });
});

describe('reductions give back what was paid for the seats given up, discount included', () => {
  it.each([
    // seats, discount, keep -> discount the kept seats carry
    [3, 500, 1, 167],
    [3, 500, 2, 334],
    [3, 500, 3, 500],
    [2, 1000, 1, 500],
    [4, 3, 1, 1],
    [4, 3, 3, 3],
    [5, 0, 2, 0],
    [5, 7, 0, 0],
  ])('a line of %i seats with %i off keeps %i seats carrying %i', (seats, discount, keep, kept) => {
    expect(discountKept({ seats, discount }, keep)).toBe(kept);
  });

  it('takes seats from the last line first, down to 0 kept for the record', () => {
    const lines = [line(2, 5000, 1000, 'adult'), line(1, 3000, 300, 'child')];
    const r = reduceLines(lines, 2);
    expect(r.lines.map((l) => [l.seats, l.discount])).toEqual([
      [2, 1000],
      [0, 0],
    ]);
    expect(r.amount).toEqual({ amount: 9000, currency: 'RUB' });
    const r2 = reduceLines(r.lines, 1);
    expect(r2.amount).toEqual({ amount: 4500, currency: 'RUB' });
  });

  it('adds up: every refund of a booking reduced seat by seat, plus what stays, is what was paid', () => {
    let lines = [line(3, 1000, 500), line(4, 777, 311, 'child')];
    const paid = amountOfLines(lines)!.amount;
    let refunded = 0;
    for (let keep = 6; keep >= 1; keep--) {
      const before = amountOfLines(lines)!.amount;
      const r = reduceLines(lines, keep);
      refunded += before - r.amount!.amount;
      lines = r.lines;
    }
    expect(refunded + amountOfLines(lines)!.amount).toBe(paid);
  });

  it("falls back to 0.1.0's rule for a booking without lines, and for lines that no longer match the booking", () => {
    expect(legacyReducedAmount({ amount: { amount: 9000, currency: 'EUR' }, seats: 3 }, 2)).toEqual({ amount: 6000, currency: 'EUR' });
    expect(legacyReducedAmount({ amount: null, seats: 3 }, 2)).toBeNull();
    const lines = [line(2, 5000, 0), line(1, 3000, 0, 'child')];
    expect(linesMatch({ amount: { amount: 13000, currency: 'RUB' }, seats: 3 }, lines)).toBe(true);
    // 0.1.0 reduced it to 2 seats at amount / seats: the lines still say 3.
    const stale = { amount: { amount: 8666, currency: 'RUB' }, seats: 2 };
    expect(reducedBooking(stale, lines, 1)).toEqual({ lines: [], amount: { amount: 4333, currency: 'RUB' }, legacy: true });
    expect(reducedBooking({ amount: { amount: 13000, currency: 'RUB' }, seats: 3 }, lines, 2)).toMatchObject({ amount: { amount: 10000 }, legacy: false });
  });
});
