import { createHash, randomBytes } from 'node:crypto';
import { IGE } from '../tl.js';

/** The plaintext header fields of an MTProto 2.0 encrypted message, and its body. */
export interface PlainMessage {
  readonly salt: bigint;
  readonly sessionId: bigint;
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/** Which side encrypted: x = 0 for client → server, x = 8 for server → client. */
type Direction = 0 | 8;

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** MTProto 2.0 KDF: AES key and IV from auth_key and msg_key. */
function deriveAes(authKey: Buffer, msgKey: Buffer, x: Direction): { key: Buffer; iv: Buffer } {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
    iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]),
  };
}

/** msg_key = middle 128 bits of sha256(substr(auth_key, 88 + x, 32) + plaintext with padding). */
function msgKeyOf(authKey: Buffer, plaintext: Buffer, x: Direction): Buffer {
  return sha256(authKey.subarray(88 + x, 120 + x), plaintext).subarray(8, 24);
}

/**
 * Decrypts a client packet (auth_key_id, msg_key, encrypted data) under `authKey`. Returns a reason string
 * instead of a message when the packet is not valid under that key (msg_key mismatch, bad length/padding).
 */
export function decryptClientPacket(authKey: Buffer, packet: Buffer): PlainMessage | string {
  const encrypted = packet.subarray(24);
  if (encrypted.length < 48 || encrypted.length % 16 !== 0) {
    return `encrypted data of ${encrypted.length} bytes (want ≥ 48, a multiple of 16)`;
  }
  const msgKey = packet.subarray(8, 24);
  const { key, iv } = deriveAes(authKey, msgKey, 0);
  const plain = new IGE(key, iv).decryptIge(encrypted);
  if (!msgKeyOf(authKey, plain, 0).equals(msgKey)) return 'msg_key mismatch';
  const length = plain.readUInt32LE(28);
  const padding = plain.length - 32 - length;
  if (length % 4 !== 0 || padding < 12 || padding > 1024) {
    return `message_data_length ${length} leaves ${padding} bytes of padding (want 12..1024)`;
  }
  return {
    salt: plain.readBigInt64LE(0),
    sessionId: plain.readBigInt64LE(8),
    msgId: plain.readBigInt64LE(16),
    seqNo: plain.readInt32LE(24),
    body: plain.subarray(32, 32 + length),
  };
}

/** Encrypts a server message for the client: auth_key_id + msg_key + AES-256-IGE(plaintext + padding). */
export function encryptServerPacket(authKey: Buffer, authKeyId: bigint, message: PlainMessage): Buffer {
  const header = Buffer.alloc(32);
  header.writeBigInt64LE(message.salt, 0);
  header.writeBigInt64LE(message.sessionId, 8);
  header.writeBigInt64LE(message.msgId, 16);
  header.writeInt32LE(message.seqNo, 24);
  header.writeUInt32LE(message.body.length, 28);
  const unpadded = 32 + message.body.length;
  const padding = randomBytes(12 + ((16 - ((unpadded + 12) % 16)) % 16));
  const plain = Buffer.concat([header, message.body, padding]);
  const msgKey = msgKeyOf(authKey, plain, 8);
  const { key, iv } = deriveAes(authKey, msgKey, 8);
  const keyId = Buffer.alloc(8);
  keyId.writeBigUInt64LE(authKeyId, 0);
  return Buffer.concat([keyId, msgKey, new IGE(key, iv).encryptIge(plain)]);
}
