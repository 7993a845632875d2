import { sql, type Kysely } from 'kysely';
import type { Database } from '@aquastream/db';
import { PromoCodeConflictError, type Discount, type PromoCode, type PromoCodeRepository } from '@aquastream/domain';
import { isUniqueViolation } from './unique-violation';

/** A use counts while its booking stands: a cancelled or expired booking gives it back, whichever release ended it. */
const GIVEN_BACK = ['CANCELLED', 'EXPIRED'];

type PromoRow = { [K in keyof Database['promo_codes']]: unknown };

function toPromoCode(r: PromoRow): PromoCode {
  const discount: Discount =
    r.percent_off !== null
      ? { kind: 'PERCENT', percent: Number(r.percent_off) }
      : { kind: 'AMOUNT', amount: { amount: Number(r.amount_off), currency: String(r.currency).trim() } };
  return {
    id: r.id as string,
    eventId: r.event_id as string,
    code: r.code as string,
    discount,
    maxUses: r.max_uses as number | null,
    validFrom: r.valid_from ? new Date(r.valid_from as string) : null,
    validUntil: r.valid_until ? new Date(r.valid_until as string) : null,
    categoryIds: (r.category_ids as string[] | null) ?? null,
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

export function createPgPromoCodeRepository(db: Kysely<Database>): PromoCodeRepository {
  async function countUses(codeId: string, userId: string) {
    const row = await db
      .selectFrom('promo_code_uses as u')
      .innerJoin('bookings as b', 'b.id', 'u.booking_id')
      .select([sql<string>`count(*)`.as('uses'), sql<string>`count(*) FILTER (WHERE u.user_id = ${userId})`.as('by_user')])
      .where('u.promo_code_id', '=', codeId)
      .where('b.status', 'not in', GIVEN_BACK)
      .executeTakeFirstOrThrow();
    return { uses: Number(row.uses), byUser: Number(row.by_user) };
  }
  return {
    async insert(c) {
      try {
        await db
          .insertInto('promo_codes')
          .values({
            id: c.id,
            event_id: c.eventId,
            code: c.code,
            percent_off: c.discount.kind === 'PERCENT' ? c.discount.percent : null,
            amount_off: c.discount.kind === 'AMOUNT' ? c.discount.amount.amount : null,
            currency: c.discount.kind === 'AMOUNT' ? c.discount.amount.currency : null,
            max_uses: c.maxUses,
            valid_from: c.validFrom,
            valid_until: c.validUntil,
            category_ids: c.categoryIds,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error, 'uq_promo_codes_code')) throw new PromoCodeConflictError(c.eventId, c.code);
        throw error;
      }
    },
    async findByCode(eventId, code) {
      // A booker's typed code is matched as it came; Postgres refuses NUL in text (a 500), and no
      // stored code has one (codes are letters, digits, - and _).
      if (code.includes('\u0000')) return null;
      const row = await db
        .selectFrom('promo_codes')
        .selectAll()
        .where('event_id', '=', eventId)
        .where(sql`upper(code)`, '=', code.toUpperCase())
        .executeTakeFirst();
      return row ? toPromoCode(row) : null;
    },
    async listOfEvent(eventId) {
      const rows = await db
        .selectFrom('promo_codes as p')
        .selectAll('p')
        .select((eb) =>
          eb
            .selectFrom('promo_code_uses as u')
            .innerJoin('bookings as b', 'b.id', 'u.booking_id')
            .select(sql<string>`count(*)`.as('n'))
            .whereRef('u.promo_code_id', '=', 'p.id')
            .where('b.status', 'not in', GIVEN_BACK)
            .as('uses'),
        )
        .where('p.event_id', '=', eventId)
        .orderBy('p.created_at')
        .orderBy('p.id')
        .execute();
      return rows.map((r) => ({ ...toPromoCode(r), uses: Number(r.uses ?? 0) }));
    },
    async lockAndCountUses(codeId, userId) {
      // An UPDATE locks the code's row (bookers using it queue on every replica) and writes a new
      // version of it, so under REPEATABLE READ a stale snapshot fails instead of miscounting.
      await db
        .updateTable('promo_codes')
        .set({ updated_at: sql`updated_at` })
        .where('id', '=', codeId)
        .execute();
      return countUses(codeId, userId);
    },
    countUses: (codeId, userId) => countUses(codeId, userId),
    async codeOfBooking(bookingId) {
      const row = await db
        .selectFrom('promo_code_uses as u')
        .innerJoin('promo_codes as p', 'p.id', 'u.promo_code_id')
        .select('p.code')
        .where('u.booking_id', '=', bookingId)
        .executeTakeFirst();
      return row?.code ?? null;
    },
    async recordUse(use) {
      await db
        .insertInto('promo_code_uses')
        .values({ booking_id: use.bookingId, promo_code_id: use.promoCodeId, user_id: use.userId, created_at: use.at })
        .execute();
    },
  };
}
