import { describeValue, InvalidInputError } from '../errors.js';

/**
 * Telegram usernames: 5..32 characters of a-z, 0-9 and `_`, starting with a letter, not ending with `_`,
 * case-insensitive. Collectible usernames bought on Fragment may be 4 characters long, so resolution accepts 4.
 */
const USERNAME_RE = /^[a-zA-Z](?:[a-zA-Z0-9_]{2,30}[a-zA-Z0-9])$/;

export class InvalidUsernameError extends InvalidInputError {
  constructor(value: unknown) {
    super(
      'INVALID_USERNAME',
      describeValue(value),
      `Invalid username ${describeValue(value)}: Telegram usernames are 4-32 characters of a-z, 0-9 and _, start with a letter and do not end with _`,
    );
  }
}

/** True when `name` (without '@') is a username Telegram could ever accept. */
export function isValidUsername(name: string): boolean {
  return name.length >= 4 && name.length <= 32 && USERNAME_RE.test(name);
}

/** The case-folded form usernames are compared and indexed by. Throws InvalidUsernameError. */
export function normalizeUsername(name: string): string {
  const bare = name.startsWith('@') ? name.slice(1) : name;
  if (!isValidUsername(bare)) throw new InvalidUsernameError(name);
  return bare.toLowerCase();
}
