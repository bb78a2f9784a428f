import { createDiffieHellman, createHash, randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { Factorizator } from 'telegram/crypto/Factorizator.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { encrypt as encryptSha1Padded } from 'telegram/crypto/RSA.js';
import { BinaryReader } from 'telegram/extensions/BinaryReader.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { generateKeyDataFromNonce, readBigIntFromBuffer } from 'telegram/Helpers.js';
import { doAuthentication } from 'telegram/network/Authenticator.js';
import { describe, expect, it } from 'vitest';
import { AuthKeyStore, authKeyForms, authKeyIdOf } from '../../src/auth/auth-key-store.js';
import { bigintToBytes, DH_G, DH_PRIME } from '../../src/auth/dh-group.js';
import { AuthHandshake } from '../../src/auth/handshake.js';
import { decryptRsaLegacy } from '../../src/auth/rsa-legacy.js';
import { decryptRsaPad } from '../../src/auth/rsa-pad.js';
import { registerTestServerKey, testServerKey } from '../../src/keys.js';
import { bigInt } from '../../src/tl.js';

registerTestServerKey();
const key = testServerKey();
const fingerprint = bigInt(key.fingerprint.toString());

/**
 * Runs GramJS's own client half of the DH exchange against the server half; `rewrite` may swap the
 * encrypted p_q_inner_data for another scheme's encryption of the same inner data (as another client sends it).
 */
async function exchange(rewrite?: (inner: Buffer) => Promise<Buffer>) {
  const authKeys = new AuthKeyStore();
  const server = new AuthHandshake({ rsaKey: key, authKeys, now: Date.now });
  const sender = {
    async send(request: Api.AnyRequest) {
      if (rewrite && request instanceof Api.ReqDHParams) {
        const inner = decryptRsaPad(request.encryptedData, key);
        if (!inner) throw new Error('GramJS did not send RSA_PAD');
        request.encryptedData = await rewrite(inner);
      }
      return (await server.handle(request)).answer;
    },
  };
  const { authKey } = await doAuthentication(sender as never, new Logger(LogLevel.NONE));
  return { authKeys, clientKeyId: authKeyIdOf(authKey.getKey()!) };
}

describe('key exchange encryptions', () => {
  it('accepts RSA_PAD (GramJS, mtcute, TDLib) and agrees on the auth key', async () => {
    const { authKeys, clientKeyId } = await exchange();
    expect(authKeys.has(clientKeyId)).toBe(true);
  });

  it('accepts the older sha1(data) + data + padding raw RSA (Telethon v1, Pyrogram) and agrees on the auth key', async () => {
    const { authKeys, clientKeyId } = await exchange(async (padded) => {
      // Telethon encrypts exactly the serialized p_q_inner_data; RSA_PAD padded it to 192 bytes.
      const reader = new BinaryReader(padded);
      reader.tgReadObject();
      const data = padded.subarray(0, reader.tellPosition());
      const encrypted = await encryptSha1Padded(fingerprint, data);
      if (!encrypted) throw new Error('the test key is not registered');
      return encrypted;
    });
    expect(authKeys.has(clientKeyId)).toBe(true);
  });

  it('decrypts the older scheme back to exactly the data, and refuses a wrong hash or RSA_PAD blocks', async () => {
    const data = new Api.PQInnerData({
      pq: Buffer.from([0x17, 0xed, 0x48, 0x94, 0x1a, 0x08, 0xf9, 0x81]),
      p: Buffer.from([0x49, 0x4c, 0x55, 0x3b]),
      q: Buffer.from([0x53, 0x91, 0x10, 0x73]),
      nonce: bigInt(12345),
      serverNonce: bigInt(67890),
      newNonce: bigInt(424242),
    }).getBytes();
    const encrypted = (await encryptSha1Padded(fingerprint, data))!;
    expect(decryptRsaLegacy(encrypted, key)).toEqual(data);
    expect(decryptRsaPad(encrypted, key)).toBeUndefined();

    // Same layout, but the hash covers other bytes.
    const forged = Buffer.concat([Buffer.alloc(1), randomBytes(20), data, randomBytes(235 - data.length)]);
    const forgedInt = BigInt(`0x${forged.toString('hex')}`);
    let c = 1n;
    for (let e = BigInt(key.e), b = forgedInt % key.n; e > 0n; e >>= 1n, b = (b * b) % key.n)
      if (e & 1n) c = (c * b) % key.n;
    expect(decryptRsaLegacy(Buffer.from(c.toString(16).padStart(512, '0'), 'hex'), key)).toBeUndefined();
    expect(decryptRsaLegacy(randomBytes(256), key)).toBeUndefined();
    expect(decryptRsaLegacy(Buffer.alloc(255), key)).toBeUndefined();
  });

  it('closes the exchange when encrypted_data fits neither scheme', async () => {
    const server = new AuthHandshake({ rsaKey: key, authKeys: new AuthKeyStore(), now: Date.now });
    const sender = {
      async send(request: Api.AnyRequest) {
        if (request instanceof Api.ReqDHParams) request.encryptedData = randomBytes(256);
        return (await server.handle(request)).answer;
      },
    };
    await expect(doAuthentication(sender as never, new Logger(LogLevel.NONE))).rejects.toThrow(
      /neither RSA_PAD nor the older scheme/,
    );
  });
});

/**
 * A client that follows the spec as Pyrogram does (older RSA scheme, auth key = g_ab as 256 bytes), choosing its
 * secret b until g_ab starts with a zero byte: the one key in 256 where the clients' two conventions differ.
 */
async function exchangeWithShortKey() {
  const authKeys = new AuthKeyStore();
  const server = new AuthHandshake({ rsaKey: key, authKeys, now: Date.now });
  const ask = async (request: Api.AnyRequest) => (await server.handle(request)).answer;
  const random = (bytes: number) => readBigIntFromBuffer(randomBytes(bytes), true, true);

  const nonce = random(16);
  const resPq = (await ask(new Api.ReqPqMulti({ nonce }))) as Api.ResPQ;
  const { p, q } = Factorizator.factorize(readBigIntFromBuffer(resPq.pq, false, false));
  const bytesOf = (n: bigInt.BigInteger) => bigintToBytes(BigInt(n.toString()));
  const newNonce = random(32);
  const inner = new Api.PQInnerData({
    pq: resPq.pq,
    p: bytesOf(p),
    q: bytesOf(q),
    nonce,
    serverNonce: resPq.serverNonce,
    newNonce,
  }).getBytes();
  const dhParams = (await ask(
    new Api.ReqDHParams({
      nonce,
      serverNonce: resPq.serverNonce,
      p: bytesOf(p),
      q: bytesOf(q),
      publicKeyFingerprint: fingerprint,
      encryptedData: (await encryptSha1Padded(fingerprint, inner))!,
    }),
  )) as Api.ServerDHParamsOk;
  const tmp = await generateKeyDataFromNonce(resPq.serverNonce, newNonce);
  const answer = new IGE(tmp.key, tmp.iv).decryptIge(dhParams.encryptedAnswer);
  const serverDh = new BinaryReader(answer.subarray(20)).tgReadObject() as Api.ServerDHInnerData;

  const dh = createDiffieHellman(bigintToBytes(DH_PRIME, 256), DH_G);
  let gB: Buffer;
  let specKey: Buffer;
  do {
    dh.setPrivateKey(randomBytes(8));
    gB = dh.generateKeys();
    specKey = bigintToBytes(BigInt(`0x${dh.computeSecret(serverDh.gA).toString('hex')}`), 256);
  } while (specKey[0] !== 0);

  const clientInner = new Api.ClientDHInnerData({
    nonce,
    serverNonce: resPq.serverNonce,
    retryId: bigInt(0),
    gB,
  }).getBytes();
  const hashed = Buffer.concat([createHash('sha1').update(clientInner).digest(), clientInner]);
  const padded = Buffer.concat([hashed, randomBytes((16 - (hashed.length % 16)) % 16)]);
  const dhGen = await ask(
    new Api.SetClientDHParams({
      nonce,
      serverNonce: resPq.serverNonce,
      encryptedData: new IGE(tmp.key, tmp.iv).encryptIge(padded),
    }),
  );
  return { authKeys, specKey, newNonce, dhGen };
}

describe('auth key conventions', () => {
  it('knows a key whose g_ab starts with a zero byte under its 256-byte and its minimal form', async () => {
    const { authKeys, specKey, newNonce, dhGen } = await exchangeWithShortKey();
    const minimal = specKey.subarray(1);
    // Pyrogram and TDLib encrypt with the 256 bytes, GramJS, Telethon and mtcute with the minimal 255.
    expect(authKeys.get(authKeyIdOf(specKey))).toEqual(specKey);
    expect(authKeys.get(authKeyIdOf(minimal))).toEqual(minimal);
    expect(authKeys.size).toBe(1);
    expect(Object.entries(authKeys.export())).toEqual([[authKeyIdOf(minimal), minimal.toString('base64')]]);

    // dh_gen_ok proves the minimal form: what GramJS, Telethon and mtcute check (Pyrogram checks nothing).
    expect(dhGen).toBeInstanceOf(Api.DhGenOk);
    const gramKey = new AuthKey();
    await gramKey.setKey(minimal);
    expect((dhGen as Api.DhGenOk).newNonceHash1.eq(await gramKey.calcNewNonceHash(newNonce, 1))).toBe(true);
  });

  it('restores both forms from an exported key, and forgets both when the key is deleted', () => {
    const minimal = Buffer.concat([Buffer.from([7]), randomBytes(254)]);
    const [first, spec] = authKeyForms(Buffer.concat([Buffer.alloc(1), minimal]));
    expect(first).toEqual(minimal);
    expect(spec).toEqual(Buffer.concat([Buffer.alloc(1), minimal]));
    const store = new AuthKeyStore({ [authKeyIdOf(minimal)]: minimal.toString('base64') });
    expect(store.get(authKeyIdOf(spec!))).toEqual(spec);
    expect(() => new AuthKeyStore({ '12345': minimal.toString('base64') })).toThrow(/does not match/);
    expect(store.delete(authKeyIdOf(spec!))).toBe(true);
    expect(store.has(authKeyIdOf(minimal))).toBe(false);
    expect(store.size).toBe(0);
  });
});
