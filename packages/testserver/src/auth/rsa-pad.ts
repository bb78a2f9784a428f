import { createHash } from 'node:crypto';
import type { ServerRsaKey } from '../keys.js';
import { IGE } from '../tl.js';

/**
 * Undoes RSA_PAD, the encryption of p_q_inner_data in req_DH_params (GramJS network/Authenticator.js):
 *   key_aes_encrypted = temp_key_xor(32) + aes_encrypted(224), RSA-encrypted to 256 bytes;
 *   temp_key = temp_key_xor XOR sha256(aes_encrypted);
 *   aes_encrypted = AES-256-IGE(temp_key, iv = 0)(reverse(data_with_padding) + sha256(temp_key + data_with_padding)).
 * Returns the 192-byte data_with_padding, or `undefined` when anything does not check out.
 */
export function decryptRsaPad(encryptedData: Buffer, key: ServerRsaKey): Buffer | undefined {
  if (encryptedData.length !== 256) return undefined;
  let keyAesEncrypted: Buffer;
  try {
    keyAesEncrypted = key.decryptRaw(encryptedData);
  } catch {
    return undefined; // ≥ n: not something our public key produced
  }
  if (keyAesEncrypted.length !== 256) return undefined;
  const tempKeyXor = keyAesEncrypted.subarray(0, 32);
  const aesEncrypted = keyAesEncrypted.subarray(32);
  const aesHash = createHash('sha256').update(aesEncrypted).digest();
  const tempKey = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) tempKey[i] = tempKeyXor[i]! ^ aesHash[i]!;
  const dataWithHash = new IGE(tempKey, Buffer.alloc(32)).decryptIge(aesEncrypted);
  const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse();
  const hash = createHash('sha256').update(tempKey).update(dataWithPadding).digest();
  return hash.equals(dataWithHash.subarray(192, 224)) ? dataWithPadding : undefined;
}
