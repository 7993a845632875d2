import { describe, expect, it } from 'vitest';
import { createMemoryStore, fixedClock, sequentialIds } from '../testing/index';
import { BOOKING_TTL_MS, START, buildWorld, organizer, user, type World } from '../testing/builders';

const RUB = (amount: number) => ({ amount, currency: 'RUB' });
const createWorld = (): World => buildWorld({ store: createMemoryStore(), clock: fixedClock(START), ids: sequentialIds() });

async function trip(world: World, childQuota = 2) {
  const event = await world.publishedEvent({ capacity: 10, price: RUB(5000) });
  const adult = await world.createCategory(organizer(), event.id, { name: 'Adult', price: RUB(5000) });
  const child = await world.createCategory(organizer(), event.id, { name: 'Child', price: RUB(3000), quota: childQuota });
  return { event, adult, child };
}

describe('bookSeat with ticket categories and promo codes', () => {
  it('charges the lines less the code and stores them; amount and seats stay what release 0.1.0 reads', async () => {
    const world = createWorld();
    const { event, adult, child } = await trip(world);
    await world.createPromoCode(organizer(), event.id, { code: 'kids', percentOff: 50, categoryIds: [child.id] });
    const booking = await world.bookSeat(user('u1'), {
      eventId: event.id,
      promoCode: 'KIDS',
      lines: [
        { categoryId: adult.id, seats: 1 },
        { categoryId: child.id, seats: 2, participants: [{ name: 'Vera' }] },
      ],
    });
    expect(booking).toMatchObject({ seats: 3, amount: RUB(8000), participants: [{ name: 'Vera' }] });
    expect(await world.store.bookingLines.ofBooking(booking)).toMatchObject([
      { categoryId: adult.id, seats: 1, unitPrice: 5000, discount: 0 },
      { categoryId: child.id, seats: 2, unitPrice: 3000, discount: 3000 },
    ]);
    expect((await world.storedEvent(event.id)).available).toBe(7);
  });

  it('refuses a category past its quota with nothing taken, and an expired booking gives its seats and its code use back', async () => {
    const world = createWorld();
    const { event, child } = await trip(world, 1);
    await world.createPromoCode(organizer(), event.id, { code: 'ONCE', amountOff: RUB(500), maxUses: 1 });
    const first = await world.bookSeat(user('u1'), { eventId: event.id, promoCode: 'once', lines: [{ categoryId: child.id, seats: 1 }] });
    expect(first.amount).toEqual(RUB(2500));
    await expect(world.bookSeat(user('u2'), { eventId: event.id, lines: [{ categoryId: child.id, seats: 1 }] })).rejects.toMatchObject({
      code: 'CATEGORY.SOLD_OUT',
      details: { available: 0 },
    });
    await expect(world.bookSeat(user('u2'), { eventId: event.id, promoCode: 'ONCE' })).rejects.toMatchObject({ code: 'PROMO_CODE.EXHAUSTED' });
    expect((await world.storedEvent(event.id)).available).toBe(9);

    world.clock.advance(BOOKING_TTL_MS);
    expect(await world.expireBookings()).toBe(1);
    expect((await world.listPromoCodes(organizer(), event.id))[0]).toMatchObject({ uses: 0 });
    const again = await world.bookSeat(user('u2'), { eventId: event.id, promoCode: 'ONCE', lines: [{ categoryId: child.id, seats: 1 }] });
    expect(again.amount).toEqual(RUB(2500));
  });

  it('refuses a code that is not valid yet, and a request with both seats and lines, before anything is taken', async () => {
    const world = createWorld();
    const { event, adult } = await trip(world);
    await world.createPromoCode(organizer(), event.id, { code: 'LATER', percentOff: 10, validFrom: new Date(Date.parse(START) + 86_400_000) });
    await expect(world.bookSeat(user('u1'), { eventId: event.id, promoCode: 'later' })).rejects.toMatchObject({ code: 'PROMO_CODE.INVALID' });
    await expect(world.bookSeat(user('u1'), { eventId: event.id, seats: 1, lines: [{ categoryId: adult.id, seats: 1 }] })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    expect((await world.storedEvent(event.id)).available).toBe(10);
  });
});

describe('a rush on a used-up code or a sold-out category', () => {
  it('is refused from a read, without opening a transaction', async () => {
    const store = createMemoryStore();
    let transactions = 0;
    const run = store.run.bind(store);
    store.run = (work, options) => {
      transactions++;
      return run(work, options);
    };
    const world = buildWorld({ store, clock: fixedClock(START), ids: sequentialIds() });
    const { event, child } = await trip(world, 1);
    await world.createPromoCode(organizer(), event.id, { code: 'ONCE', percentOff: 10, maxUses: 1 });
    await world.bookSeat(user('u1'), { eventId: event.id, promoCode: 'ONCE', lines: [{ categoryId: child.id, seats: 1 }] });
    const before = transactions;
    await expect(world.bookSeat(user('u2'), { eventId: event.id, promoCode: 'once' })).rejects.toMatchObject({ code: 'PROMO_CODE.EXHAUSTED' });
    await expect(world.bookSeat(user('u3'), { eventId: event.id, lines: [{ categoryId: child.id, seats: 1 }] })).rejects.toMatchObject({
      code: 'CATEGORY.SOLD_OUT',
    });
    expect(transactions).toBe(before);
  });
});
