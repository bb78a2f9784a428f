import { createHash } from 'node:crypto';

/** The auth key id (low 64 bits of sha1(auth_key), little-endian) as an unsigned decimal string. */
export function authKeyIdOf(key: Buffer): string {
  return createHash('sha1').update(key).digest().readBigUInt64LE(12).toString();
}

/** Auth keys in a form that survives a restart: auth key id → base64 key. */
export type ExportedAuthKeys = Record<string, string>;

/**
 * The server's auth keys by id. Keys created by DH land here; a restarted server that is given the exported
 * keys still knows its clients (no new DH for them).
 */
export class AuthKeyStore {
  private readonly keys = new Map<string, Buffer>();
  private readonly listeners: Array<(id: string, key: Buffer) => void> = [];

  /** Throws when an id does not match its key. */
  constructor(initial?: ReadonlyMap<string, Buffer> | ExportedAuthKeys) {
    const entries: Iterable<[string, Buffer | string]> =
      initial instanceof Map ? initial.entries() : Object.entries(initial ?? {});
    for (const [id, value] of entries) {
      const key = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
      const actual = authKeyIdOf(key);
      if (actual !== id) {
        throw new Error(
          `authKeys: id ${id} does not match its ${key.length}-byte key (sha1 gives id ${actual})`,
        );
      }
      this.keys.set(id, Buffer.from(key));
    }
  }

  get size(): number {
    return this.keys.size;
  }

  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** Stores `key`; returns its id. */
  add(key: Buffer): string {
    const id = authKeyIdOf(key);
    if (!this.keys.has(id)) {
      this.keys.set(id, Buffer.from(key));
      for (const listener of this.listeners) listener(id, key);
    }
    return id;
  }

  delete(id: string): boolean {
    return this.keys.delete(id);
  }

  /** Forgets every key (fault injection): clients holding one get -404 on their next packet. */
  clear(): void {
    this.keys.clear();
  }

  /** Called for every newly added key (persistence hook). */
  onAdded(listener: (id: string, key: Buffer) => void): void {
    this.listeners.push(listener);
  }

  export(): ExportedAuthKeys {
    const out: ExportedAuthKeys = {};
    for (const [id, key] of this.keys) out[id] = key.toString('base64');
    return out;
  }
}
