/**
 * CSV as RFC 4180 writes it, made safe to open in a spreadsheet: a text cell that a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a carriage return) gets a leading
 * apostrophe, as the OWASP guidance on CSV injection asks, so "=HYPERLINK(...)" typed as a
 * participant's name stays text. Numbers are ours (seats, amounts) and are written as they are.
 */
export type CsvValue = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record: cells separated by commas, ended by CRLF (RFC 4180 §2). */
export const csvRecord = (cells: readonly CsvValue[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * The CSV text of a header and a stream of items, one chunk per item (an item may be several
 * records), produced as the consumer reads: wrap it in Readable.from and it follows the socket's
 * backpressure, so nothing waits in memory beyond what the items' source holds.
 */
export async function* csvChunks<T>(
  header: readonly string[],
  items: AsyncIterable<T>,
  records: (item: T) => readonly (readonly CsvValue[])[],
): AsyncGenerator<string> {
  yield csvRecord(header);
  for await (const item of items) yield records(item).map(csvRecord).join('');
}
