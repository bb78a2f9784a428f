/**
 * Bookkeeping of one import: rows read, rows skipped (with the first few reasons), fields dropped, and the final
 * check that every record handed out is one the peer cache accepts.
 */
import { InvalidInputError, InvalidPhoneError, InvalidUsernameError } from '../errors.js';
import type { PeerInput } from '../storage/types.js';
import { normalizePhone, normalizeUsernameQuery, validatePeerInput } from '../storage/validate.js';
import { ImportRowError } from './errors.js';

/** How many skipped rows are quoted in the notes; the rest are only counted. */
const QUOTED_SKIPS = 3;

export class ImportReport {
  #read = 0;
  #skipped = 0;
  readonly #quoted: string[] = [];
  readonly #dropped = new Map<string, number>();
  /** Usernames left out as another case of one the record already lists (the peer cache keeps the first). */
  #repeated = 0;
  #finished = false;

  constructor(
    /** The source, as named in notes and errors. */
    readonly path: string,
    readonly notes: string[],
    private readonly onSkip?: ((error: ImportRowError) => void) | undefined,
  ) {}

  /** Counts and reports a row that cannot be imported. */
  skip(error: ImportRowError): void {
    this.#skipped += 1;
    if (this.#quoted.length < QUOTED_SKIPS) this.#quoted.push(error.message);
    this.onSkip?.(error);
  }

  /** Counts a value left out of an otherwise good record (e.g. a username Telegram would not allow). */
  drop(field: string): void {
    this.#dropped.set(field, (this.#dropped.get(field) ?? 0) + 1);
  }

  /**
   * Checks a record built from one row: usernames and a phone pm would refuse are dropped (the peer and its hash
   * are worth more than them), anything else wrong skips the row. Returns the record to hand out, or undefined.
   */
  accept(record: PeerInput, location: string): PeerInput | undefined {
    let checked = record;
    if (checked.usernames !== undefined) {
      const valid = checked.usernames.filter((name) => isValidUsername(name));
      if (valid.length !== checked.usernames.length) {
        for (let i = valid.length; i < checked.usernames.length; i++) this.drop('usernames');
        // All of them refused: unknown, rather than "has none" (which would clear known ones on merge).
        checked = { ...checked, usernames: valid.length > 0 ? valid : undefined };
      }
    }
    if (typeof checked.phone === 'string' && !isValidPhone(checked.phone)) {
      this.drop('phone');
      checked = { ...checked, phone: undefined };
    }
    let names: readonly string[] | undefined;
    try {
      names = validatePeerInput(checked, 'row').usernames;
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      const at = (e as { field?: unknown }).field;
      const field = typeof at === 'string' ? at.replace(/^row\.?/, '').replace(/\[.*$/, '') : '';
      const value = field === '' ? checked : (checked as unknown as Record<string, unknown>)[field];
      this.skip(new ImportRowError(this.path, location, field || undefined, value, e.message));
      return undefined;
    }
    // A name listed twice in different cases is one name: kept once, as the peer cache's own writes keep it (the
    // validation's list, first spelling), so the record stored is the one the username index holds.
    if (names !== undefined && checked.usernames !== undefined && names.length !== checked.usernames.length) {
      this.#repeated += checked.usernames.length - names.length;
      checked = { ...checked, usernames: names };
    }
    this.#read += 1;
    return checked;
  }

  /** Counts a record taken without {@link accept}: one its checks would take as it is (jsonl-line.ts). */
  taken(): void {
    this.#read += 1;
  }

  /** Appends the summary to the notes; idempotent, so a `finally` may call it after an early stop. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.notes.push(`${this.#read} records read, ${this.#skipped} rows skipped from ${this.path}`);
    for (const message of this.#quoted) this.notes.push(`skipped: ${message}`);
    if (this.#skipped > this.#quoted.length) {
      this.notes.push(`... and ${this.#skipped - this.#quoted.length} more skipped rows`);
    }
    for (const [field, count] of this.#dropped) {
      this.notes.push(`${count} invalid ${field} value(s) left out of otherwise good records`);
    }
    if (this.#repeated > 0) {
      this.notes.push(
        `${this.#repeated} username(s) listed twice in one record (in another case) kept once, as first spelt`,
      );
    }
  }
}

function isValidUsername(name: string): boolean {
  if (name.startsWith('@')) return false;
  try {
    normalizeUsernameQuery(name);
    return true;
  } catch (e) {
    if (e instanceof InvalidUsernameError) return false;
    throw e;
  }
}

function isValidPhone(phone: string): boolean {
  try {
    normalizePhone(phone);
    return true;
  } catch (e) {
    if (e instanceof InvalidPhoneError) return false;
    throw e;
  }
}

/**
 * Wraps a reader's row generator so the summary lands in the notes however iteration ends.
 */
export async function* withSummary<T>(report: ImportReport, rows: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* rows;
  } finally {
    report.finish();
  }
}
