/**
 * Usernames: case-insensitive, unique at any moment, and movable between owners. Moving a username to a new
 * owner frees it from the old one (the old owner must stop resolving to it).
 */

/**
 * Telegram's syntax: a letter first, then letters, digits and underscores, no trailing underscore, no double
 * underscore. 5..32 characters for ordinary names; collectible (Fragment) names may have 4.
 */
const USERNAME_RE = /^[a-z][a-z0-9_]{2,30}[a-z0-9]$/i;

export function isValidUsername(name: string): boolean {
  return USERNAME_RE.test(name) && !name.includes('__');
}

export type UsernameOwner = { readonly type: 'user' | 'channel'; readonly id: bigint };

export class UsernameIndex {
  private readonly byName = new Map<string, UsernameOwner>();

  lookup(name: string): UsernameOwner | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Claims `name` for `owner`; returns the previous owner when it was someone else. */
  claim(name: string, owner: UsernameOwner): UsernameOwner | undefined {
    const key = name.toLowerCase();
    const prev = this.byName.get(key);
    this.byName.set(key, owner);
    if (prev && (prev.type !== owner.type || prev.id !== owner.id)) return prev;
    return undefined;
  }

  release(name: string, owner: UsernameOwner): void {
    const key = name.toLowerCase();
    const cur = this.byName.get(key);
    if (cur && cur.type === owner.type && cur.id === owner.id) this.byName.delete(key);
  }

  clear(): void {
    this.byName.clear();
  }
}
