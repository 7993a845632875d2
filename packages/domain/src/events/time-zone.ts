/** The zone of an event whose organizer gave none. */
export const DEFAULT_TIME_ZONE = 'UTC';

// How the IANA database writes a zone name (Area/Location, UTC, Etc/GMT+5): no UTC offsets such as
// "+05:00", which newer engines accept as zones of their own but which follow no daylight rules.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

let spellings: Map<string, string> | undefined;
/** The canonical names the runtime knows, by lower-cased name (built on first use). */
function knownSpellings(): Map<string, string> {
  spellings ??= new Map([DEFAULT_TIME_ZONE, ...Intl.supportedValuesOf('timeZone')].map((name) => [name.toLowerCase(), name]));
  return spellings;
}

/**
 * The IANA time zone `name` as it is spelled in the database (names are case-insensitive there),
 * or null when the runtime's time zone data does not know it. Links (`Asia/Kolkata`,
 * `Europe/Kyiv`) are valid names and kept as given: only their letter case may be unknown.
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.length > 64 || !IANA_NAME.test(name)) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return null;
  }
  return knownSpellings().get(name.toLowerCase()) ?? name;
}
