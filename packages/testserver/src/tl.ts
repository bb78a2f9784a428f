/**
 * TL glue: the one place where the MTProto layer reaches into GramJS (a CommonJS package) from ESM.
 * Requests parse and answers serialize with GramJS's own `Api.*` classes; this module adds only what GramJS
 * does not have on the server side: the declared result type of a method and the bare results GramJS has no
 * class for (`Vector<long>`, `Vector<int>`, `Bool`), and conversions between `big-integer` (GramJS) and native
 * `bigint` (this project). The session's envelopes are in session/wire.ts; another layer's objects are written
 * from its schema by layers/tl-codec.ts.
 */
import bigInt from 'big-integer';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/BinaryReader.js';
import { LAYER } from 'telegram/tl/AllTLObjects.js';
import apiTl from 'telegram/tl/apiTl.js';
import { parseTl, serializeBytes } from 'telegram/tl/generationHelpers.js';
import schemaTl from 'telegram/tl/schemaTl.js';
import type { TLObject } from './backend.js';

export { AuthKey } from 'telegram/crypto/AuthKey.js';
export { IGE } from 'telegram/crypto/IGE.js';
export { _serverKeys as gramServerKeys } from 'telegram/crypto/RSA.js';
export { PromisedNetSockets } from 'telegram/extensions/PromisedNetSockets.js';
export { crc32, generateKeyDataFromNonce } from 'telegram/Helpers.js';
export { GZIPPacked, MessageContainer, RPCResult } from 'telegram/tl/core/index.js';
export { Api, apiTl, BinaryReader, bigInt, LAYER, serializeBytes };

/** GramJS's 64/128/256-bit integer type. */
export type BigInteger = bigInt.BigInteger;

/** Any integer GramJS or we may hold, as a native bigint. */
export function toBigint(value: BigInteger | bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return BigInt(value.toString());
}

/** A native bigint as the `big-integer` value GramJS's TL classes expect. */
export function toBigInteger(value: bigint): BigInteger {
  return bigInt(value.toString());
}

/** Reads one boxed TL object (GramJS `tgReadObject`). Throws on an unknown constructor or short buffer. */
export function readTlObject(data: Buffer): TLObject {
  return new BinaryReader(data).tgReadObject();
}

let resultTypes: Map<number, string> | undefined;

/** The declared result type of a TL method (`Config`, `Vector<User>`, `Bool`, `Vector<long>`...). */
export function resultTypeOf(constructorId: number): string | undefined {
  if (!resultTypes) {
    resultTypes = new Map();
    for (const content of [apiTl as string, schemaTl as string]) {
      for (const def of parseTl(content, String(LAYER))) {
        if (def.isFunction) resultTypes.set(def.constructorId >>> 0, String(def.result));
      }
    }
  }
  return resultTypes.get(constructorId >>> 0);
}

const VECTOR_ID = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}

function int64(value: BigInteger | bigint | number | string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, toBigint(value)), 0);
  return b;
}

function boxedBytes(value: TLObject, type: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'boolean') return int32(value ? BOOL_TRUE | 0 : BOOL_FALSE | 0);
  if (value && typeof value.getBytes === 'function') return value.getBytes();
  throw new TypeError(`cannot serialize ${describe(value)} as ${type}: expected an Api.* object`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as { className?: string }).className ?? value.constructor.name;
  return typeof value;
}

/**
 * Serializes a handler's answer as the method's declared result type: Api objects through `getBytes()`,
 * `Vector<int>` / `Vector<long>` from numbers or bigints, `Bool` from a boolean, a `Buffer` as-is
 * (already serialized).
 */
export function serializeResult(value: TLObject, resultType: string | undefined): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const vector = resultType?.match(/^Vector<(.+)>$/);
  if (vector || Array.isArray(value)) {
    if (!Array.isArray(value)) {
      throw new TypeError(`cannot serialize ${describe(value)} as ${resultType}: expected an array`);
    }
    const element = vector?.[1] ?? 'Object';
    const parts = [int32(VECTOR_ID | 0), int32(value.length)];
    for (const item of value) {
      if (element === 'int') parts.push(int32(Number(item)));
      else if (element === 'long') parts.push(int64(item));
      else parts.push(boxedBytes(item, element));
    }
    return Buffer.concat(parts);
  }
  return boxedBytes(value, resultType ?? 'Object');
}
