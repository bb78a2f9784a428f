import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/import/csv.js';
import { collect } from './collect.js';

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function rows(text: string, size = text.length || 1) {
  return (await collect(parseCsv(pieces(text, size)))).map((r) => ({
    line: r.line,
    cells: r.cells.map((c) => (c.quoted ? `"${c.text}"` : c.text)),
    malformed: r.malformed,
  }));
}

describe('parseCsv', () => {
  it('tells a quoted empty cell from an unquoted one', async () => {
    expect(await rows('"",,x\n')).toEqual([{ line: 1, cells: ['""', '', 'x'], malformed: undefined }]);
  });

  it('keeps commas, doubled quotes and newlines inside quotes, counting lines', async () => {
    expect(await rows('"a,b","say ""hi""","l1\r\nl2\nl3"\r\nnext\n')).toEqual([
      { line: 1, cells: ['"a,b"', '"say "hi""', '"l1\r\nl2\nl3"'], malformed: undefined },
      { line: 4, cells: ['next'], malformed: undefined },
    ]);
  });

  it('ends rows at LF, CRLF and a lone CR, skipping blank lines', async () => {
    expect((await rows('a\r\nb\rc\n\n\nd')).map((r) => [r.line, r.cells[0]])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [6, 'd'],
    ]);
  });

  it('parses the same whatever the chunk sizes', async () => {
    const text = 'id,"x, ""y"""\r\n"multi\r\nline",\r\n"",last\r\n';
    const whole = await rows(text);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), async (size) => {
        expect(await rows(text, size)).toEqual(whole);
      }),
    );
  });

  it('flags bad quoting instead of guessing silently', async () => {
    expect((await rows('"a"b,c\n'))[0]!.malformed).toMatch(/after a closing quote/);
    expect((await rows('a"b\n'))[0]!.malformed).toMatch(/quote inside an unquoted cell/);
    expect((await rows('"never closed'))[0]!.malformed).toMatch(/never closed/);
  });
});
