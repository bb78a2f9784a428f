import { createHash } from 'node:crypto';

/** The auth key id (low 64 bits of sha1(auth_key), little-endian) as an unsigned decimal string. */
export function authKeyIdOf(key: Buffer): string {
  return createHash('sha1').update(key).digest().readBigUInt64LE(12).toString();
}

/** Bytes of an auth key as the spec writes it: g_ab as 256 big-endian bytes. */
const KEY_BYTES = 256;

/**
 * The forms one DH result takes in clients: the minimal bytes of g_ab (GramJS, Telethon, mtcute) first, then the
 * spec's 256 bytes (Pyrogram, TDLib); they differ when g_ab starts with a zero byte (about one key in 256). Each
 * form has its own auth_key_id and derives other message keys, so a client's packets match only its own form.
 */
export function authKeyForms(key: Buffer): Buffer[] {
  let start = 0;
  while (start < key.length - 1 && key[start] === 0) start++;
  const minimal = key.subarray(start);
  const spec =
    minimal.length >= KEY_BYTES
      ? minimal
      : Buffer.concat([Buffer.alloc(KEY_BYTES - minimal.length), minimal]);
  return spec.equals(minimal) ? [Buffer.from(minimal)] : [Buffer.from(minimal), Buffer.from(spec)];
}

/** Auth keys in a form that survives a restart: auth key id → base64 key. */
export type ExportedAuthKeys = Record<string, string>;

/**
 * The server's auth keys by id. Keys created by DH land here; a restarted server that is given the exported
 * keys still knows its clients (no new DH for them). A key is known under both its forms (authKeyForms), so a
 * client of either convention finds it; `size`, `export()` and the listeners see one key.
 */
export class AuthKeyStore {
  /** Every form's id → that form's bytes. */
  private readonly keys = new Map<string, Buffer>();
  /** Every form's id → the id of the key's first form (its name in export() and to the listeners). */
  private readonly primary = new Map<string, string>();
  private readonly listeners: Array<(id: string, key: Buffer) => void> = [];

  /** Throws when an id does not match its key (in either form). */
  constructor(initial?: ReadonlyMap<string, Buffer> | ExportedAuthKeys) {
    const entries: Iterable<[string, Buffer | string]> =
      initial instanceof Map ? initial.entries() : Object.entries(initial ?? {});
    for (const [id, value] of entries) {
      const key = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
      const ids = authKeyForms(key).map(authKeyIdOf);
      if (!ids.includes(id)) {
        throw new Error(
          `authKeys: id ${id} does not match its ${key.length}-byte key (sha1 gives id ${ids.join(' or ')})`,
        );
      }
      this.index(key);
    }
  }

  /** Keys known (a key counts once, whatever its forms). */
  get size(): number {
    return new Set(this.primary.values()).size;
  }

  /** The key's bytes in the form whose id this is (what the client encrypts with). */
  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** Stores `key` (either form) under both forms; returns the id of the form given. */
  add(key: Buffer): string {
    const id = authKeyIdOf(key);
    if (!this.keys.has(id)) {
      const primaryId = this.index(key);
      const first = this.keys.get(primaryId)!;
      for (const listener of this.listeners) listener(primaryId, first);
    }
    return id;
  }

  /** Forgets the key (all its forms). */
  delete(id: string): boolean {
    const primaryId = this.primary.get(id);
    if (primaryId === undefined) return false;
    for (const [formId, p] of [...this.primary]) {
      if (p !== primaryId) continue;
      this.primary.delete(formId);
      this.keys.delete(formId);
    }
    return true;
  }

  /** Forgets every key (fault injection): clients holding one get -404 on their next packet. */
  clear(): void {
    this.keys.clear();
    this.primary.clear();
  }

  /** Called for every newly added key (persistence hook), with the id and bytes of its first form. */
  onAdded(listener: (id: string, key: Buffer) => void): void {
    this.listeners.push(listener);
  }

  export(): ExportedAuthKeys {
    const out: ExportedAuthKeys = {};
    for (const [formId, primaryId] of this.primary) {
      if (formId === primaryId) out[primaryId] = this.keys.get(primaryId)!.toString('base64');
    }
    return out;
  }

  /** Indexes both forms of `key`; returns the first form's id. */
  private index(key: Buffer): string {
    const forms = authKeyForms(key);
    const primaryId = authKeyIdOf(forms[0]!);
    for (const form of forms) {
      const formId = authKeyIdOf(form);
      this.keys.set(formId, form);
      this.primary.set(formId, primaryId);
    }
    return primaryId;
  }
}
