/** Deterministic data: a seeded PRNG, seeded UUIDs, 10,000 events by direct SQL, and user tokens. */
import pg from 'pg';
import { signToken } from '@aquastream/adapters';

/** mulberry32: small, fast, good enough for choosing test data; same seed, same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A v4-shaped UUID drawn from `rand`, so seeded ids are the same on every run. */
export function seededUuid(rand: () => number): string {
  const b = Array.from({ length: 16 }, () => Math.floor(rand() * 256));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

const ACTIVITIES = ['Rafting', 'Kayaking', 'Canoeing', 'Hiking', 'Climbing', 'Canyoning', 'Paddleboarding', 'Fishing', 'Camping', 'Trail running'] as const;
const PLACES = [
  'Soca River',
  'Lake Bled',
  'Tara Canyon',
  'Vltava',
  'Dunajec Gorge',
  'Lake Ohrid',
  'Neretva',
  'Una River',
  'Drina',
  'Inn Valley',
  'Lake Garda',
  'Verdon Gorge',
  'Ardeche',
  'Noguera Pallaresa',
  'Sjoa',
  'Lake Annecy',
  'Salza',
  'Isar',
  'Tatra Lakes',
  'Coruh',
] as const;
const LEVELS = ['beginners', 'families', 'intermediate paddlers', 'experienced groups', 'everyone'] as const;
const EXTRAS = [
  'Wetsuits and helmets included.',
  'Lunch by the lake included.',
  'Transfer from the camp.',
  'Guided by certified instructors.',
  'Photos of the trip included.',
] as const;

/** The first day of the seeded calendar; far ahead so the data stays bookable-looking for years. */
export const SEED_EPOCH = Date.UTC(2028, 0, 1);
const DAY = 86_400_000;

export interface SeedResult {
  events: number;
  locations: number;
  locationIds: string[];
  publishedIds: string[];
  organizerIds: string[];
  ms: number;
}

/**
 * Inserts `count` events (90 % PUBLISHED, 5 % DRAFT, 5 % CANCELLED) and 20 locations straight into
 * the tables, in one statement each (unnest of arrays), then ANALYZE. Ids are seeded, so a
 * second run into the same database inserts nothing new (ON CONFLICT DO NOTHING).
 */
export async function seedEvents(databaseUrl: string, seed: number, count: number): Promise<SeedResult> {
  const t0 = performance.now();
  const rand = prng(seed);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const locations = PLACES.map((name, i) => ({
      id: seededUuid(rand),
      name,
      address: `${name} base camp ${i + 1}`,
      lat: 40 + rand() * 10,
      lon: 5 + rand() * 20,
    }));
    await client.query(
      `INSERT INTO locations (id, name, address, latitude, longitude, created_at, updated_at)
       SELECT id, name, address, lat, lon, $6, $6 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::float8[]) AS t(id, name, address, lat, lon)
       ON CONFLICT (id) DO NOTHING`,
      [
        locations.map((l) => l.id),
        locations.map((l) => l.name),
        locations.map((l) => l.address),
        locations.map((l) => l.lat),
        locations.map((l) => l.lon),
        new Date(SEED_EPOCH - 30 * DAY),
      ],
    );
    const organizerIds = Array.from({ length: 50 }, () => seededUuid(rand));
    const cols = {
      id: [] as string[],
      title: [] as string[],
      description: [] as string[],
      start: [] as Date[],
      end: [] as Date[],
      locationId: [] as (string | null)[],
      locationText: [] as (string | null)[],
      capacity: [] as number[],
      available: [] as number[],
      status: [] as string[],
      organizer: [] as string[],
      priceAmount: [] as (number | null)[],
      priceCurrency: [] as (string | null)[],
      created: [] as Date[],
    };
    const publishedIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = seededUuid(rand);
      const activity = pick(rand, ACTIVITIES);
      const place = pick(rand, PLACES);
      const start = new Date(SEED_EPOCH + Math.floor(rand() * 365 * 24) * 3_600_000);
      const hours = 2 + Math.floor(rand() * 10);
      const capacity = 5 + Math.floor(rand() * 46);
      const r = rand();
      const status = r < 0.9 ? 'PUBLISHED' : r < 0.95 ? 'DRAFT' : 'CANCELLED';
      const where = rand();
      const location = locations.find((l) => l.name === place)!;
      cols.id.push(id);
      cols.title.push(`${activity} on ${place} #${i + 1}`);
      cols.description.push(`${activity} day on ${place} for ${pick(rand, LEVELS)}. ${pick(rand, EXTRAS)} Meeting point at the ${place} base camp at 08:00.`);
      cols.start.push(start);
      cols.end.push(new Date(start.getTime() + hours * 3_600_000));
      // Half the events use a location row, a third only the legacy text column, the rest none.
      cols.locationId.push(where < 0.5 ? location.id : null);
      cols.locationText.push(where >= 0.5 && where < 0.83 ? place : null);
      cols.capacity.push(capacity);
      cols.available.push(capacity);
      cols.status.push(status);
      cols.organizer.push(pick(rand, organizerIds));
      const paid = rand() < 0.7;
      cols.priceAmount.push(paid ? 1_000 * (1 + Math.floor(rand() * 20)) : null);
      cols.priceCurrency.push(paid ? 'EUR' : null);
      cols.created.push(new Date(SEED_EPOCH - (1 + Math.floor(rand() * 60)) * DAY));
      if (status === 'PUBLISHED') publishedIds.push(id);
    }
    const inserted = await client.query(
      `INSERT INTO events (id, title, description, start_date, end_date, location_id, location_text, capacity, available, status,
                           organizer_id, price_amount, price_currency, created_at, updated_at)
       SELECT id, title, description, start_date, end_date, location_id, location_text, capacity, available, status,
              organizer_id, price_amount, price_currency, created_at, created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::uuid[], $7::text[], $8::int[], $9::int[],
                   $10::text[], $11::uuid[], $12::bigint[], $13::text[], $14::timestamptz[])
         AS t(id, title, description, start_date, end_date, location_id, location_text, capacity, available, status,
              organizer_id, price_amount, price_currency, created_at)
       ON CONFLICT (id) DO NOTHING`,
      [
        cols.id,
        cols.title,
        cols.description,
        cols.start,
        cols.end,
        cols.locationId,
        cols.locationText,
        cols.capacity,
        cols.available,
        cols.status,
        cols.organizer,
        cols.priceAmount,
        cols.priceCurrency,
        cols.created,
      ],
    );
    await client.query('ANALYZE events; ANALYZE locations');
    return {
      events: inserted.rowCount ?? 0,
      locations: locations.length,
      locationIds: locations.map((l) => l.id),
      publishedIds,
      organizerIds,
      ms: performance.now() - t0,
    };
  } finally {
    await client.end();
  }
}

/** `count` USER tokens for distinct seeded user ids (namespace `ns` keeps pools apart). */
export async function userTokens(secret: string, seed: number, ns: number, count: number): Promise<{ userId: string; token: string }[]> {
  const rand = prng(seed * 1_000 + ns);
  const out: { userId: string; token: string }[] = [];
  for (let i = 0; i < count; i++) {
    const userId = seededUuid(rand);
    out.push({ userId, token: await signToken(secret, { sub: userId, roles: ['USER'] }) });
  }
  return out;
}
