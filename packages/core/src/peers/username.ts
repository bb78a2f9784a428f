import { InvalidUsernameError } from '../errors.js';
import { normalizeUsernameQuery, USERNAME_RULE } from '../storage/validate.js';

export { InvalidUsernameError, USERNAME_RULE };

/** True when `name` (without '@') is a username Telegram could ever accept (one rule, in storage/validate.ts). */
export function isValidUsername(name: string): boolean {
  if (name.startsWith('@')) return false;
  try {
    normalizeUsernameQuery(name);
    return true;
  } catch {
    return false;
  }
}

/** The case-folded form usernames are compared and indexed by. Throws InvalidUsernameError. */
export function normalizeUsername(name: string): string {
  return normalizeUsernameQuery(name);
}
