import type { Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import { toPage, type LocationRepository } from '@aquastream/domain';
import { toLocation } from './rows';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function createPgLocationRepository(db: Kysely<Database>): LocationRepository {
  const columns = ['id', 'name', 'address', 'latitude', 'longitude', 'created_at'] as const;
  return {
    async findById(id) {
      const row = await db.selectFrom('locations').select(columns).where('id', '=', id).executeTakeFirst();
      return row ? toLocation(row) : null;
    },
    async findByName(name) {
      const row = await db.selectFrom('locations').select(columns).where('name', '=', name).orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
      return row ? toLocation(row) : null;
    },
    async list(q) {
      let query = db.selectFrom('locations');
      if (q.search) {
        const pattern = `%${escapeLike(q.search)}%`;
        query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('address', 'ilike', pattern)]));
      }
      const [rows, count] = await Promise.all([
        query
          .select(columns)
          .orderBy('name')
          .orderBy('id')
          .limit(q.size)
          .offset((q.page - 1) * q.size)
          .execute(),
        query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return toPage(rows.map(toLocation), Number(count.n), q);
    },
    async insert(l) {
      await db
        .insertInto('locations')
        .values({
          id: l.id,
          name: l.name,
          address: l.address,
          latitude: l.coordinates?.lat ?? null,
          longitude: l.coordinates?.lon ?? null,
          created_at: l.createdAt,
          updated_at: l.createdAt,
        })
        .execute();
    },
  };
}
