import { describe, expect, it } from 'vitest';
import { csvCell, csvChunks, csvRecord } from './csv';

describe('csvCell', () => {
  it('writes plain text and numbers as they are, and nothing for null', () => {
    expect(csvCell('Anna Petrova')).toBe('Anna Petrova');
    expect(csvCell('anna@example.org')).toBe('anna@example.org');
    expect(csvCell(12500)).toBe('12500');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell('')).toBe('');
  });

  it('quotes a cell with a comma, a double quote, a CR or a LF, doubling its quotes (RFC 4180)', () => {
    expect(csvCell('Petrova, Anna')).toBe('"Petrova, Anna"');
    expect(csvCell('Anna "the paddle" Petrova')).toBe('"Anna ""the paddle"" Petrova"');
    expect(csvCell('line one\nline two')).toBe('"line one\nline two"');
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
    expect(csvCell('"')).toBe('""""');
  });

  it('neutralises text a spreadsheet would run as a formula with a leading apostrophe (OWASP)', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+79001234567')).toBe("'+79001234567");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1:A2)')).toBe("'@SUM(A1:A2)");
    expect(csvCell('\t=cmd')).toBe("'\t=cmd");
    expect(csvCell('\r=cmd')).toBe('"\'\r=cmd"');
    // Neutralised and quoted: the apostrophe goes inside the quotes.
    expect(csvCell('=HYPERLINK("http://evil.example","Click")')).toBe('"\'=HYPERLINK(""http://evil.example"",""Click"")"');
    // Only the start counts.
    expect(csvCell('Anna=Petrova')).toBe('Anna=Petrova');
  });

  it('leaves numbers alone, negative ones too: they are ours, not user text', () => {
    expect(csvCell(-5)).toBe('-5');
  });
});

describe('csvRecord', () => {
  it('joins cells with commas and ends the record with CRLF', () => {
    expect(csvRecord(['a', 1, null, 'b,c'])).toBe('a,1,,"b,c"\r\n');
  });
});

describe('csvChunks', () => {
  async function* items() {
    yield { name: 'Anna', seats: 2, guests: ['Boris', '=evil'] };
    yield { name: 'Vera', seats: 1, guests: [] };
  }

  it('writes the header, then each item as its records, as the consumer reads', async () => {
    const chunks: string[] = [];
    for await (const chunk of csvChunks(['name', 'seats', 'guest'], items(), (i) =>
      i.guests.length ? i.guests.map((g) => [i.name, i.seats, g]) : [[i.name, i.seats, null]],
    ))
      chunks.push(chunk);
    expect(chunks).toEqual(['name,seats,guest\r\n', "Anna,2,Boris\r\nAnna,2,'=evil\r\n", 'Vera,1,\r\n']);
  });

  it('pulls an item from the source only when its chunk is asked for', async () => {
    let pulled = 0;
    async function* counted() {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield i;
      }
    }
    const chunks = csvChunks(['n'], counted(), (n) => [[n]]);
    expect((await chunks.next()).value).toBe('n\r\n');
    expect(pulled).toBe(0);
    expect((await chunks.next()).value).toBe('0\r\n');
    expect(pulled).toBe(1);
  });
});
