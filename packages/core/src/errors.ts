/**
 * The PmError hierarchy. Every error pm throws is a PmError subclass with typed readonly fields; callers switch
 * on `instanceof` or `code`, never on message text. Messages name the bad value and what would be valid, and
 * never contain secrets (bot token, auth key, session string).
 */
export class PmError extends Error {
  /** A stable machine-readable code, e.g. 'INVALID_PEER_ID'. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value handed to pm is not of the form Telegram allows (an id, an access hash, a username, a link...). */
export class InvalidInputError extends PmError {
  constructor(
    code: string,
    /** The offending value, rendered as a string (already redacted if it could be secret). */
    readonly value: string,
    message: string,
  ) {
    super(code, message);
  }
}

/** Renders any value for an error message without ever throwing, trimmed to a readable length. */
export function describeValue(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    s = Object.prototype.toString.call(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
