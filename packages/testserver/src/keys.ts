/**
 * The test server's RSA key. GramJS only starts a DH exchange with a server whose key fingerprint is in its
 * `_serverKeys` map (telegram/crypto/RSA); `registerTestServerKey()` adds this key there. That one call is
 * the only change a user makes to GramJS: no file of GramJS is modified and the normal DH path is used.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
} from 'node:crypto';
import { bigInt, gramServerKeys } from './tl.js';

/**
 * TEST-ONLY RSA-2048 private key, generated once for this package and committed on purpose. It protects
 * nothing: anyone can read it here. Never register it in a client that talks to real Telegram servers.
 */
export const TEST_SERVER_RSA_PRIVATE_KEY_PEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAx7uNBIUtOcj2ahsScCtDdHSh6jeWZQJtC17JIqwQBBSkykHO
eiQt3knDWy5PVrlD5dHaVDJlTWojdnvlWL0bUAL5VpUY962kH08VwtDNFh8CAqRO
FHY7rlfgy6+cmcTkdmrqK5YdlUh8VCjyU69jDHwo3C3E8xPF4cFmVLzlEyrxoCTp
CY1aXJOemm+7Fyip0/2SCG8soZR+KG59MjLq7K3RT+KjhKaSe4iXsN/kT/p+mnNZ
twg8/Zhx6Q+2sCP8mQrjvS9FBqZR8QhO38iNunaQxhlZIVvDgZAtAGjl7lNveYKH
ras+qj9JHobUXgwkyd6wRZ5YaC8Ec2ZHw8loEQIDAQABAoIBAA1OpokspVQnr/E8
VK4SrS0bCzb2FVKtXB4JO+iP4wZJPicim3Lhql5YdvKs2HOMUY+EO+IRtH75VBu0
Cquu98eiLGzIxMUrCsJc7B59d7iNACmJuxEGb+4ATrV2FxPbUtG9SFT3Qgknme79
MRNYc1vfgX+/8JK1wyCfgyWgqzjWV2kHwpRb+xLRKYgt8G1jxl28i0hJ1cnIvZEf
8Yl9TcecGoc1eP564R8fzSIH+YPYrHkVJ6YnwHpFmn7R4V8nnVxCB7+M6+7sOTbs
ninj2oEqZ3IBqMIzVPaiSyZy6/7Ao2iAgHYK4UXUcAV0ctvHBjw7FnyWW+bLa+ES
XouRtoUCgYEA5GkvQbCQOBxw7yIdsg7lXVHX/23kXEMhYYtvrsweeJldBcx7KSJR
j/BLeuZgi2nSuezGyAHYdxkWm2AVA88azefncSFjOlRwGnaxodAVGBJ2spN3FjH9
GNxM0ILavtfBVL6nbOs2f19TZuyeGJYWd1zpw+71Vh7SQwV8XE4jwBUCgYEA39uX
KUcfdJZ0DV6GdpJWdKT1UxQw8MOw5rEkx13+U9phREB20nj4bGTez8qN/fr4610V
41X1eRi5+r5AVZGFSjxTczguRrFcu6Yk/gcnoAZKYRpNKj7j6CASU11ATlcM3WF5
03V4bWKOZel5b8yFJILeuqFQanJ7S9CBACoIyw0CgYAkoTGw6S3XscfysZftjDIA
SzXGgssSeLmLuR7J+3YPhRjD60z9BcHqwXB5XySwduISawRd4t3iC6XyePAl0jrM
NpqJK/+LxSrNM6e8+W/Ikn1yme+JIa8jI4E2FyYZYORiQMj80KPGvXTUlrGr47Xq
on3irBmwG/VARkrxSp61GQKBgCrrOgcS+MfslKF/jv4qvmKswdBE3cE7c643JlsG
/VzsUJu6VE20HcUCbeme5yxbst/FQA4PC/pEsFuPoFwHg2uhN0qu6chp9uKPTyZZ
DtLSge4uEb9YwW9evsS26z5Z2ECVkLrnGci3DaAibELwDlLauINFrFpMSrFVb3Yt
mPP9AoGBAKxFcVPhhb69kdM4HVs2ILkVNDEqJEaZ9AspLAy6lj+aQYF1+skn3zk3
7S55Qu1FmnLs7dUPj1AnH3yKYHFhKE1tCTQkSAvkRyBaME/G0VIvyNZYMLTmFfrr
qh5+AVl3hsz8iicHiBHGEjnVe0lnu2JyfZWAoUJyzeXIMPHv9kBz
-----END RSA PRIVATE KEY-----
`;

/** A server RSA key as the DH exchange needs it. */
export interface ServerRsaKey {
  /** Telegram fingerprint: the low 64 bits of sha1(rsa_public_key n:bytes e:bytes), signed. */
  readonly fingerprint: bigint;
  readonly n: bigint;
  readonly e: number;
  /** Raw RSA (no padding): `block^d mod n` for a 256-byte big-endian block; throws when block ≥ n. */
  decryptRaw(block: Buffer): Buffer;
}

function bigintToBytes(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** Serializes a TL `bytes` value (length prefix + data + padding to 4). */
function tlBytes(data: Buffer): Buffer {
  const header = data.length < 254 ? Buffer.from([data.length]) : Buffer.from([254, ...int24(data.length)]);
  const padding = (4 - ((header.length + data.length) % 4)) % 4;
  return Buffer.concat([header, data, Buffer.alloc(padding)]);
}

function int24(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
}

/** Telegram's RSA key fingerprint for a public key (n, e). */
export function rsaFingerprint(n: bigint, e: number): bigint {
  const serialized = Buffer.concat([tlBytes(bigintToBytes(n)), tlBytes(bigintToBytes(BigInt(e)))]);
  return createHash('sha1').update(serialized).digest().readBigInt64LE(12);
}

/** Loads an RSA private key (PEM, PKCS#1 or PKCS#8) for the server side of the DH exchange. */
export function loadServerRsaKey(pem: string): ServerRsaKey {
  const key: KeyObject = createPrivateKey(pem);
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new Error('loadServerRsaKey: expected an RSA private key');
  const n = BigInt(`0x${Buffer.from(jwk.n, 'base64url').toString('hex')}`);
  const e = Number(BigInt(`0x${Buffer.from(jwk.e, 'base64url').toString('hex')}`));
  return {
    fingerprint: rsaFingerprint(n, e),
    n,
    e,
    decryptRaw: (block) => privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, block),
  };
}

let testKey: ServerRsaKey | undefined;

/** The committed TEST-ONLY key, loaded once. */
export function testServerKey(): ServerRsaKey {
  testKey ??= loadServerRsaKey(TEST_SERVER_RSA_PRIVATE_KEY_PEM);
  return testKey;
}

/**
 * Makes an unmodified GramJS in this process accept the test server: inserts the key's fingerprint → { n, e }
 * into GramJS's `_serverKeys`. Idempotent. Returns the fingerprint as GramJS spells it (signed decimal).
 */
export function registerTestServerKey(key: ServerRsaKey = testServerKey()): string {
  const fingerprint = key.fingerprint.toString();
  gramServerKeys.set(fingerprint, { n: bigInt(key.n.toString()), e: key.e });
  return fingerprint;
}

/**
 * The test key's public half as PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`), the form other client libraries
 * take (mtcute's `addPublicKey`, Telethon's and Pyrogram's key lists).
 */
export function testServerPublicKeyPem(): string {
  return createPublicKey(TEST_SERVER_RSA_PRIVATE_KEY_PEM).export({ type: 'pkcs1', format: 'pem' }).toString();
}
