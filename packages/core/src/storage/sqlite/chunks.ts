/**
 * Multi-row statements: one statement per `CHUNK` rows is several times cheaper than one per row in
 * better-sqlite3 (fewer native calls, one B-tree descent shared by neighbouring keys).
 */
export const CHUNK = 64;

/** `(?, ?, ...)` repeated `rows` times, each with `columns` placeholders. */
export function valuesList(rows: number, columns: number): string {
  const one = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => one).join(', ');
}

/** `?, ?, ...` for an IN list. */
export function inList(size: number): string {
  return Array.from({ length: size }, () => '?').join(', ');
}

/**
 * Runs `many` on full chunks of `items` and `one` on the rest. `many` receives the flattened parameters of a
 * chunk, built by `params`.
 */
export function runChunked<T>(
  items: readonly T[],
  params: (item: T) => unknown[],
  many: (flat: unknown[]) => void,
  one: (item: T) => void,
): void {
  let i = 0;
  for (; i + CHUNK <= items.length; i += CHUNK) {
    const flat: unknown[] = [];
    for (let k = i; k < i + CHUNK; k++) flat.push(...params(items[k] as T));
    many(flat);
  }
  for (; i < items.length; i++) one(items[i] as T);
}

/** Splits lookup keys into IN-list sized groups, padding the last with its first key (duplicates are harmless). */
export function lookupGroups<K>(keys: readonly K[]): K[][] {
  const groups: K[][] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const group = keys.slice(i, i + CHUNK);
    while (group.length < CHUNK) group.push(group[0] as K);
    groups.push(group);
  }
  return groups;
}
