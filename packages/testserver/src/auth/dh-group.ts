import { createDiffieHellman, type DiffieHellman, randomBytes } from 'node:crypto';

/**
 * The DH group of the key exchange: Telegram's well-known 2048-bit safe prime (the one its servers send in
 * server_DH_inner_data) and generator 3.
 */
export const DH_PRIME = BigInt(
  '0xc71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4db' +
    'fa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64' +
    '2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b41' +
    '0dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4' +
    'e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf' +
    '6f4fadf034b10403119cd8e3b92fcc5b',
);
export const DH_G = 3;

/** g_a and g_b must lie in (2^(2048-64), dh_prime - 2^(2048-64)) (MTProto security guidelines). */
const SAFETY_MARGIN = 1n << (2048n - 64n);

export function isSafeDhValue(value: bigint): boolean {
  return value > SAFETY_MARGIN && value < DH_PRIME - SAFETY_MARGIN;
}

let group: DiffieHellman | undefined;

/**
 * node:crypto's Diffie-Hellman over the group, made once per process: Node checks the prime when one is made
 * (about 0.7 s for 2048 bits), never afterwards; each exchange then costs a few ms.
 */
function dhGroup(): DiffieHellman {
  group ??= createDiffieHellman(bigintToBytes(DH_PRIME, 256), DH_G);
  return group;
}

/** A fresh server secret `a` (256 random bytes) and g_a = g^a mod dh_prime, in the safe range. */
export function dhServerKeys(): { a: Buffer; gA: bigint } {
  const dh = dhGroup();
  for (;;) {
    const a = randomBytes(256);
    dh.setPrivateKey(a);
    const gA = bytesToBigint(dh.generateKeys());
    if (isSafeDhValue(gA)) return { a, gA };
  }
}

/** g_b^a mod dh_prime as 256 big-endian bytes: the auth key as the spec writes it. */
export function dhSharedKey(a: Buffer, gB: bigint): Buffer {
  const dh = dhGroup();
  dh.setPrivateKey(a);
  return bigintToBytes(bytesToBigint(dh.computeSecret(bigintToBytes(gB))), 256);
}

/** Unsigned big-endian bytes of `value`, left-padded to `length` (or minimal when `length` is omitted). */
export function bigintToBytes(value: bigint, length?: number): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex === '00' ? '' : hex, 'hex');
  if (length === undefined || bytes.length >= length) return bytes;
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

/** Reads unsigned big-endian bytes as a bigint. */
export function bytesToBigint(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}
