/**
 * A streaming RFC 4180 CSV reader that also reports whether each cell was quoted (pm writes null as an unquoted
 * empty cell and every string quoted). Rows end at LF, CRLF or a lone CR outside quotes; inside quotes every
 * character, newlines included, is kept as is.
 */
import type { CsvCell } from './export-schema.js';

/** One parsed row and where it starts. */
export interface CsvRow {
  readonly cells: CsvCell[];
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  /** What is wrong with the row's quoting, if anything (it is still returned, so the reader can report it). */
  readonly malformed: string | undefined;
}

/** Parser states: at the start of a cell, inside an unquoted one, inside quotes, just after a quote in quotes. */
const State = { FieldStart: 0, Unquoted: 1, Quoted: 2, AfterQuote: 3 } as const;
type State = (typeof State)[keyof typeof State];

/** Splits a stream of text chunks (in any sizes) into rows. Blank lines are skipped. */
export async function* parseCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvRow> {
  let state: State = State.FieldStart;
  let cells: CsvCell[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let malformed: string | undefined;
  let skipLf = false;

  const endField = (quoted: boolean): void => {
    cells.push({ text: field, quoted });
    field = '';
  };
  const takeRow = (): CsvRow | undefined => {
    const blank = cells.length === 1 && !cells[0]!.quoted && cells[0]!.text === '' && malformed === undefined;
    const row = blank ? undefined : { cells, line: rowLine, malformed };
    cells = [];
    malformed = undefined;
    state = State.FieldStart;
    rowLine = line;
    return row;
  };

  for await (const chunk of chunks) {
    const rows: CsvRow[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (skipLf) {
        skipLf = false;
        if (c === '\n') continue;
      }
      if (state === State.Quoted) {
        if (c === '"') state = State.AfterQuote;
        else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (c === ',' || c === '\n' || c === '\r') {
        endField(state === State.AfterQuote);
        if (c === ',') {
          state = State.FieldStart;
          continue;
        }
        line++;
        skipLf = c === '\r';
        const row = takeRow();
        if (row !== undefined) rows.push(row);
        continue;
      }
      if (state === State.FieldStart) {
        if (c === '"') state = State.Quoted;
        else {
          field += c;
          state = State.Unquoted;
        }
      } else if (state === State.AfterQuote) {
        if (c === '"') {
          field += '"';
          state = State.Quoted;
        } else {
          malformed ??= `unexpected ${JSON.stringify(c)} after a closing quote`;
          field += c;
          state = State.Unquoted;
        }
      } else {
        if (c === '"') malformed ??= 'a quote inside an unquoted cell';
        field += c;
      }
    }
    yield* rows;
  }
  if (state === State.Quoted) malformed ??= 'a quoted cell is never closed';
  if (state !== State.FieldStart || cells.length > 0) {
    endField(state === State.AfterQuote || state === State.Quoted);
    const row = takeRow();
    if (row !== undefined) yield row;
  }
}
