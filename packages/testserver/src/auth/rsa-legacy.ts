import { createHash } from 'node:crypto';
import type { ServerRsaKey } from '../keys.js';
import { BinaryReader } from '../tl.js';

/**
 * Undoes the older encryption of p_q_inner_data (before RSA_PAD), which Telethon v1 and Pyrogram/Kurigram still
 * send and real Telegram still accepts:
 *   data_with_hash = sha1(data) + data + random padding, 255 bytes;
 *   encrypted_data = (data_with_hash as a big-endian number)^e mod n, as 256 bytes.
 * The data's length is not on the wire: it is the length of the one TL object that follows the hash, and the
 * hash over exactly those bytes must match. Returns the data, or `undefined` when anything does not check out.
 */
export function decryptRsaLegacy(encryptedData: Buffer, key: ServerRsaKey): Buffer | undefined {
  if (encryptedData.length !== 256) return undefined;
  let block: Buffer;
  try {
    block = key.decryptRaw(encryptedData);
  } catch {
    return undefined; // ≥ n: not something our public key produced
  }
  // A 255-byte number raised to e: decrypted back, its most significant byte is zero.
  if (block.length !== 256 || block[0] !== 0) return undefined;
  const hash = block.subarray(1, 21);
  const rest = block.subarray(21);
  let length: number;
  try {
    const reader = new BinaryReader(rest);
    const obj: unknown = reader.tgReadObject();
    // GramJS reads a few core constructors asynchronously: none of them is p_q_inner_data.
    if (obj instanceof Promise) {
      obj.catch(() => {});
      return undefined;
    }
    length = reader.tellPosition();
  } catch {
    return undefined;
  }
  if (length <= 0 || length > rest.length) return undefined;
  const data = rest.subarray(0, length);
  return createHash('sha1').update(data).digest().equals(hash) ? Buffer.from(data) : undefined;
}
