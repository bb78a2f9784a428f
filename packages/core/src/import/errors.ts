/**
 * Errors of the import/export module. A file that cannot be imported at all is an {@link ImportError}; one bad row
 * inside an otherwise good file is an {@link ImportRowError}, reported and skipped by the importers.
 */
import { describeValue, InvalidInputError, PmError } from '../errors.js';

/** Codes of {@link ImportError}. */
export type ImportErrorCode =
  /** Nothing at the path. */
  | 'IMPORT_FILE_NOT_FOUND'
  /** The path exists but cannot be read (permissions, I/O error, a folder where a file was expected...). */
  | 'IMPORT_UNREADABLE'
  /** The file was expected to be a SQLite database and is not one. */
  | 'IMPORT_NOT_SQLITE'
  /** A SQLite database without the tables or columns of the expected library. */
  | 'IMPORT_SCHEMA_MISMATCH'
  /** None of the supported formats matches the input. */
  | 'IMPORT_UNKNOWN_FORMAT'
  /** A GramJS/Telethon session string that does not decode. */
  | 'IMPORT_INVALID_SESSION_STRING';

/**
 * A source that cannot be imported. `path` names the file or folder; for a session string passed inline it is
 * `'<session string>'`, never the secret itself. The message says what was expected instead.
 */
export class ImportError extends PmError {
  declare readonly code: ImportErrorCode;
  constructor(
    code: ImportErrorCode,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${path}: ${reason}`, options);
  }
}

/**
 * One row of a source that cannot be turned into a peer (an access hash that is not a signed 64-bit integer, an id
 * that is no peer id, a malformed line of an export file...). Importers skip such rows, count them in the notes and
 * hand each to `onSkip`; `readExport` without `onSkip` throws it.
 */
export class ImportRowError extends InvalidInputError {
  constructor(
    /** The file the row came from. */
    readonly path: string,
    /** Where in the file, e.g. `entities row id=123`, `line 7`, `file -100123 (session:-100123)`. */
    readonly location: string,
    /** The offending field, e.g. `hash`; undefined when the whole row is unreadable. */
    readonly field: string | undefined,
    value: unknown,
    /** What would have been valid. */
    readonly valid: string,
  ) {
    super(
      'IMPORT_BAD_ROW',
      describeValue(value),
      `${path}, ${location}${field === undefined ? '' : `, ${field}`}: invalid value ${describeValue(value)}: ${valid}`,
    );
  }
}

/** An {@link ImportRowError} as the reader thread posted it, with the value and message it had there. */
export function rowErrorFromThread(parts: {
  readonly path: string;
  readonly location: string;
  readonly field: string | undefined;
  readonly value: string;
  readonly valid: string;
  readonly message: string;
}): ImportRowError {
  const error = new ImportRowError(parts.path, parts.location, parts.field, undefined, parts.valid);
  return Object.assign(error, { value: parts.value, message: parts.message });
}
