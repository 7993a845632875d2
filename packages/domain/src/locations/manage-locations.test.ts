import { describe, expect, it } from 'vitest';
import { admin, organizer, user, buildWorld, type World, type WorldOptions, freshInfrastructure } from '../testing/builders';

const createWorld = (options: WorldOptions = {}): World => buildWorld(freshInfrastructure(), options);

const river = { name: 'Katun river base', address: 'Chemal, Altai', coordinates: { lat: 51.41, lon: 86.0 } };

describe('createLocation', () => {
  it('creates a location with trimmed name and address and writes location.created', async () => {
    const world = createWorld();
    const location = await world.createLocation(organizer(), { ...river, name: '  Katun river base ', address: ' Chemal, Altai  ' });
    expect(location).toEqual({
      id: expect.any(String),
      name: 'Katun river base',
      address: 'Chemal, Altai',
      coordinates: { lat: 51.41, lon: 86.0 },
      createdAt: world.clock.now(),
    });
    expect(await world.store.locations.findById(location.id)).toEqual(location);
    expect(world.outbox()).toEqual([expect.objectContaining({ type: 'location.created', aggregateType: 'location', aggregateId: location.id })]);
  });

  it('stores null coordinates when none are given', async () => {
    const world = createWorld();
    const location = await world.createLocation(organizer(), { name: 'Lake camp', address: 'Teletskoye' });
    expect(location.coordinates).toBeNull();
  });

  it('lets an admin create a location', async () => {
    const world = createWorld();
    await expect(world.createLocation(admin(), river)).resolves.toMatchObject({ name: river.name });
  });

  it('refuses a plain user with AUTH.FORBIDDEN and stores nothing', async () => {
    const world = createWorld();
    await expect(world.createLocation(user(), river)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await world.listLocations({})).total).toBe(0);
    expect(world.outbox()).toHaveLength(0);
  });

  it('refuses an anonymous caller with AUTH.UNAUTHENTICATED', async () => {
    const world = createWorld();
    await expect(world.createLocation(null, river)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
  });

  it('refuses a blank name and address with field errors', async () => {
    const world = createWorld();
    await expect(world.createLocation(organizer(), { name: '  ', address: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [expect.objectContaining({ field: 'name' }), expect.objectContaining({ field: 'address' })] },
    });
    expect((await world.listLocations({})).total).toBe(0);
  });
});

describe('location coordinates', () => {
  it.each([
    ['the south pole', { lat: -90, lon: 0 }],
    ['the north pole', { lat: 90, lon: 0 }],
    ['the antimeridian west', { lat: 0, lon: -180 }],
    ['the antimeridian east', { lat: 0, lon: 180 }],
    ['null island', { lat: 0, lon: 0 }],
  ])('accepts %s', async (_name, coordinates) => {
    const world = createWorld();
    const location = await world.createLocation(organizer(), { ...river, coordinates });
    expect(location.coordinates).toEqual(coordinates);
  });

  it.each([
    ['a latitude above 90', { lat: 90.0001, lon: 0 }, 'coordinates.lat'],
    ['a latitude below -90', { lat: -91, lon: 0 }, 'coordinates.lat'],
    ['a latitude that is not a number', { lat: Number.NaN, lon: 0 }, 'coordinates.lat'],
    ['a longitude above 180', { lat: 0, lon: 180.5 }, 'coordinates.lon'],
    ['a longitude below -180', { lat: 0, lon: -181 }, 'coordinates.lon'],
    ['a longitude that is not a number', { lat: 0, lon: Number.NaN }, 'coordinates.lon'],
  ])('refuses %s with VALIDATION.FAILED on %s', async (_name, coordinates, field) => {
    const world = createWorld();
    await expect(world.createLocation(organizer(), { ...river, coordinates })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { errors: [{ field, message: expect.any(String) }] },
    });
    expect((await world.listLocations({})).total).toBe(0);
  });

  it('reports both coordinates when both are out of range', async () => {
    const world = createWorld();
    await expect(world.createLocation(organizer(), { ...river, coordinates: { lat: 100, lon: 200 } })).rejects.toMatchObject({
      details: { errors: [expect.objectContaining({ field: 'coordinates.lat' }), expect.objectContaining({ field: 'coordinates.lon' })] },
    });
  });
});

describe('getLocation', () => {
  it('returns a stored location', async () => {
    const world = createWorld();
    const location = await world.createLocation(organizer(), river);
    expect(await world.getLocation(location.id)).toEqual(location);
  });

  it('answers LOCATION.NOT_FOUND for an unknown id', async () => {
    const world = createWorld();
    await expect(world.getLocation('missing')).rejects.toMatchObject({ code: 'LOCATION.NOT_FOUND', details: { locationId: 'missing' } });
  });
});

describe('listLocations', () => {
  async function threeLocations() {
    const world = createWorld();
    for (const [name, address] of [
      ['Lake camp', 'Teletskoye'],
      ['Katun river base', 'Chemal'],
      ['Alpine hut', 'Belukha valley'],
    ] as const)
      await world.createLocation(organizer(), { name, address });
    return world;
  }

  it('lists locations by name with paging totals', async () => {
    const world = await threeLocations();
    const first = await world.listLocations({ page: 1, size: 2 });
    expect(first).toMatchObject({ total: 3, page: 1, size: 2, totalPages: 2 });
    expect(first.items.map((l) => l.name)).toEqual(['Alpine hut', 'Katun river base']);
    expect((await world.listLocations({ page: 2, size: 2 })).items.map((l) => l.name)).toEqual(['Lake camp']);
  });

  it('searches name and address case-insensitively', async () => {
    const world = await threeLocations();
    expect((await world.listLocations({ search: 'LAKE' })).items.map((l) => l.name)).toEqual(['Lake camp']);
    expect((await world.listLocations({ search: 'chemal' })).items.map((l) => l.name)).toEqual(['Katun river base']);
  });

  it('ignores a blank search', async () => {
    const world = await threeLocations();
    expect((await world.listLocations({ search: '  ' })).total).toBe(3);
  });

  it('refuses size 101 with VALIDATION.FAILED', async () => {
    const world = createWorld();
    await expect(world.listLocations({ size: 101 })).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });
});
