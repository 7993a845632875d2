import type { VersionCondition } from '@aquastream/domain';
import { z } from 'zod';

/**
 * Conditional requests on an event (RFC 9110 §13): its version is the entity tag, strong and the
 * same for every caller who may see the event, because the representation is.
 */
export const etagOf = (version: number): string => `"${version}"`;

interface EntityTag {
  weak: boolean;
  opaque: string;
}

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list whose empty elements are
// ignored (RFC 9110 §5.6.1.2). A comma may also sit inside a tag, so the list is not split on commas.
const TAG = /[\s,]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

/** The tags of an If-Match / If-None-Match list; '*' for the wildcard; null when the value is not a valid list. */
function parseTags(header: string): EntityTag[] | '*' | null {
  const value = header.replace(/[\s,]+$/, '');
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  TAG.lastIndex = 0;
  while (TAG.lastIndex < value.length) {
    const start = TAG.lastIndex;
    const match = TAG.exec(value);
    if (!match || TAG.lastIndex === start) return null;
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
  }
  return tags.length ? tags : null;
}

const versionOf = (opaque: string): number | null => (/^[1-9]\d{0,15}$/.test(opaque) ? Number(opaque) : null);

/**
 * The precondition an `If-Match` value sets on a change. `*` asks only that the event exist,
 * which the change checks anyway (404). Strong comparison: a weak tag never matches, and neither
 * does a value that is not a list of entity tags, so the change is refused (412) rather than
 * applied to a version the client never saw.
 */
export function ifMatchCondition(header: string | undefined): VersionCondition | undefined {
  if (header === undefined) return undefined;
  const tags = parseTags(header);
  if (tags === '*') return undefined;
  const versions = (tags ?? []).filter((t) => !t.weak).map((t) => versionOf(t.opaque));
  return { ifVersion: versions.filter((v): v is number => v !== null) };
}

/** Whether an `If-None-Match` value names the current version (weak comparison: `W/"3"` matches `"3"`), so a GET answers 304. */
export function noneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  const tags = parseTags(header);
  if (tags === '*') return true;
  return (tags ?? []).some((t) => versionOf(t.opaque) === version);
}

export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(1000)
    .optional()
    .describe(
      'Apply the change only while the event still has one of these entity tags (the `ETag` of a read). `*` or absent: unconditionally. Weak tags never match. A mismatch answers 412 `precondition-failed` and changes nothing.',
    ),
});

export const IfNoneMatchHeaders = z.object({
  'if-none-match': z
    .string()
    .max(1000)
    .optional()
    .describe('The entity tags of copies the client holds: when one is current the answer is 304 with no body. `*` matches any version.'),
});
