import { createHash, randomBytes } from 'node:crypto';
import type { TLObject } from '../backend.js';
import type { ServerRsaKey } from '../keys.js';
import {
  Api,
  AuthKey,
  type BigInteger,
  BinaryReader,
  bigInt,
  generateKeyDataFromNonce,
  IGE,
  readTlObject,
  toBigint,
} from '../tl.js';
import { type AuthKeyStore, authKeyForms } from './auth-key-store.js';
import {
  bigintToBytes,
  bytesToBigint,
  DH_G,
  DH_PRIME,
  dhServerKeys,
  dhSharedKey,
  isSafeDhValue,
} from './dh-group.js';
import { generatePq, type PqChallenge } from './pq.js';
import { decryptRsaLegacy } from './rsa-legacy.js';
import { decryptRsaPad } from './rsa-pad.js';

/** The client broke the key exchange; the connection answers with transport error -404 and closes. */
export class HandshakeError extends Error {
  override name = 'HandshakeError';
}

export interface HandshakeOptions {
  readonly rsaKey: ServerRsaKey;
  readonly authKeys: AuthKeyStore;
  /** Milliseconds since the epoch (server_time in server_DH_inner_data). */
  readonly now: () => number;
}

/** What one plain (unencrypted) request produced. */
export interface HandshakeStep {
  readonly answer: TLObject;
  /** Set once set_client_DH_params succeeded: the id of the new auth key. */
  readonly createdAuthKeyId?: string;
}

interface Exchange {
  readonly nonce: BigInteger;
  readonly serverNonce: BigInteger;
  readonly challenge: PqChallenge;
  newNonce?: BigInteger;
  /** The server's DH secret. */
  a?: Buffer;
  tmpAes?: { key: Buffer; iv: Buffer };
}

/** At most this many half-finished exchanges per connection (a client normally runs one). */
const MAX_EXCHANGES = 4;

/**
 * The server half of MTProto's auth key creation (mirrors GramJS network/Authenticator.js):
 * req_pq_multi → resPQ, req_DH_params (RSA_PAD or the older raw RSA) → server_DH_params_ok, set_client_DH_params → dh_gen_ok.
 * One instance per connection.
 */
export class AuthHandshake {
  private readonly exchanges = new Map<string, Exchange>();

  constructor(private readonly options: HandshakeOptions) {}

  /** Answers one plain request; throws `HandshakeError` when the client broke the protocol. */
  async handle(request: TLObject): Promise<HandshakeStep> {
    if (request instanceof Api.ReqPqMulti || request instanceof Api.ReqPq)
      return { answer: this.reqPq(request) };
    if (request instanceof Api.ReqDHParams) return { answer: await this.reqDhParams(request) };
    if (request instanceof Api.SetClientDHParams) return this.setClientDhParams(request);
    throw new HandshakeError(`unexpected plain message ${request?.className ?? typeof request}`);
  }

  private reqPq(request: Api.ReqPqMulti | Api.ReqPq): TLObject {
    if (this.exchanges.size >= MAX_EXCHANGES)
      throw new HandshakeError('too many key exchanges on one connection');
    const challenge = generatePq();
    // Signed, as GramJS reads int128 fields back: the comparisons below must see the same value.
    const serverNonce = bigInt(BigInt.asIntN(128, bytesToBigint(randomBytes(16))).toString());
    this.exchanges.set(request.nonce.toString(), { nonce: request.nonce, serverNonce, challenge });
    return new Api.ResPQ({
      nonce: request.nonce,
      serverNonce,
      pq: bigintToBytes(challenge.pq),
      serverPublicKeyFingerprints: [bigInt(this.options.rsaKey.fingerprint.toString())],
    });
  }

  private exchangeFor(nonce: BigInteger, serverNonce: BigInteger): Exchange {
    const exchange = this.exchanges.get(nonce.toString());
    if (!exchange?.serverNonce.eq(serverNonce)) {
      throw new HandshakeError('unknown nonce / server_nonce pair');
    }
    return exchange;
  }

  private async reqDhParams(request: Api.ReqDHParams): Promise<TLObject> {
    const exchange = this.exchangeFor(request.nonce, request.serverNonce);
    if (exchange.newNonce) throw new HandshakeError('req_DH_params repeated');
    if (toBigint(request.publicKeyFingerprint) !== this.options.rsaKey.fingerprint) {
      throw new HandshakeError(`unknown public key fingerprint ${request.publicKeyFingerprint.toString()}`);
    }
    const { p, q, pq } = exchange.challenge;
    if (!sameFactors(request.p, request.q, exchange.challenge))
      throw new HandshakeError('wrong p, q in req_DH_params');

    // RSA_PAD (GramJS, mtcute, TDLib) or the older sha1 + data + padding (Telethon v1, Pyrogram): Telegram takes
    // both. Each scheme checks a hash over what it decrypted, so a block of one never passes for the other.
    const data =
      decryptRsaPad(request.encryptedData, this.options.rsaKey) ??
      decryptRsaLegacy(request.encryptedData, this.options.rsaKey);
    if (!data) throw new HandshakeError('encrypted_data decrypts under neither RSA_PAD nor the older scheme');
    let inner: TLObject;
    try {
      inner = readTlObject(data);
    } catch (error) {
      throw new HandshakeError(`p_q_inner_data does not parse: ${String(error)}`);
    }
    const isInnerData =
      inner instanceof Api.PQInnerData ||
      inner instanceof Api.PQInnerDataDc ||
      inner instanceof Api.PQInnerDataTemp ||
      inner instanceof Api.PQInnerDataTempDc;
    if (!isInnerData) throw new HandshakeError(`expected p_q_inner_data, got ${inner?.className}`);
    if (!inner.nonce.eq(exchange.nonce) || !inner.serverNonce.eq(exchange.serverNonce)) {
      throw new HandshakeError('nonces in p_q_inner_data do not match');
    }
    if (bytesToBigint(inner.pq) !== pq || !sameFactors(inner.p, inner.q, { p, q })) {
      throw new HandshakeError('pq, p, q in p_q_inner_data do not match');
    }
    exchange.newNonce = inner.newNonce;

    const { a, gA } = dhServerKeys();
    exchange.a = a;

    const answer: Buffer = new Api.ServerDHInnerData({
      nonce: exchange.nonce,
      serverNonce: exchange.serverNonce,
      g: DH_G,
      dhPrime: bigintToBytes(DH_PRIME, 256),
      gA: bigintToBytes(gA, 256),
      serverTime: Math.floor(this.options.now() / 1000),
    }).getBytes();
    const answerWithHash = Buffer.concat([createHash('sha1').update(answer).digest(), answer]);
    const tmpAes = await generateKeyDataFromNonce(exchange.serverNonce, inner.newNonce);
    exchange.tmpAes = tmpAes;
    return new Api.ServerDHParamsOk({
      nonce: exchange.nonce,
      serverNonce: exchange.serverNonce,
      encryptedAnswer: new IGE(tmpAes.key, tmpAes.iv).encryptIge(answerWithHash),
    });
  }

  private async setClientDhParams(request: Api.SetClientDHParams): Promise<HandshakeStep> {
    const exchange = this.exchangeFor(request.nonce, request.serverNonce);
    const { newNonce, a, tmpAes } = exchange;
    if (!newNonce || a === undefined || !tmpAes)
      throw new HandshakeError('set_client_DH_params before req_DH_params');
    if (request.encryptedData.length % 16 !== 0 || request.encryptedData.length < 32) {
      throw new HandshakeError(`encrypted_data of ${request.encryptedData.length} bytes is not AES blocks`);
    }
    const plain = new IGE(tmpAes.key, tmpAes.iv).decryptIge(request.encryptedData);
    const reader = new BinaryReader(plain.subarray(20));
    let inner: TLObject;
    try {
      inner = reader.tgReadObject();
    } catch (error) {
      throw new HandshakeError(`client_DH_inner_data does not parse: ${String(error)}`);
    }
    if (!(inner instanceof Api.ClientDHInnerData)) {
      throw new HandshakeError(`expected client_DH_inner_data, got ${inner?.className}`);
    }
    const innerBytes = plain.subarray(20, 20 + reader.tellPosition());
    if (!createHash('sha1').update(innerBytes).digest().equals(plain.subarray(0, 20))) {
      throw new HandshakeError('client_DH_inner_data hash mismatch');
    }
    if (!inner.nonce.eq(exchange.nonce) || !inner.serverNonce.eq(exchange.serverNonce)) {
      throw new HandshakeError('nonces in client_DH_inner_data do not match');
    }
    const gB = bytesToBigint(inner.gB);
    if (!isSafeDhValue(gB)) throw new HandshakeError('g_b outside the safe range');
    this.exchanges.delete(exchange.nonce.toString());

    // The spec's auth key is g_ab as 256 big-endian bytes (Pyrogram, TDLib); GramJS, Telethon and mtcute take its
    // minimal bytes, 255 long for one key in 256. The store knows the key in both forms, so either kind of client
    // finds it; dh_gen_ok can prove only one form, and carries the minimal one's hash (GramJS, Telethon and mtcute
    // check it; Pyrogram does not; TDLib would retry the exchange, as GramJS does against Telegram).
    const [minimal] = authKeyForms(dhSharedKey(a, gB));
    const authKey = minimal!;
    const createdAuthKeyId = this.options.authKeys.add(authKey);
    const clientKey = new AuthKey();
    await clientKey.setKey(authKey);
    return {
      answer: new Api.DhGenOk({
        nonce: exchange.nonce,
        serverNonce: exchange.serverNonce,
        newNonceHash1: await clientKey.calcNewNonceHash(newNonce, 1),
      }),
      createdAuthKeyId,
    };
  }
}

function sameFactors(p: Buffer, q: Buffer, expected: { p: bigint; q: bigint }): boolean {
  const got = [bytesToBigint(p), bytesToBigint(q)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return got[0] === expected.p && got[1] === expected.q;
}
