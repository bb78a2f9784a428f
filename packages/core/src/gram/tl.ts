/**
 * The one door to GramJS. `telegram` is CommonJS; this module re-exports what pm uses so the rest of `gram/`
 * imports from here, and nothing outside `gram/` imports `telegram` at all.
 */
import bigInt from 'big-integer';
import { Api, TelegramClient } from 'telegram';
import { _handleUpdate as gramHandleUpdate } from 'telegram/client/updates.js';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { RPCError } from 'telegram/errors/RPCBaseErrors.js';
import { FloodWaitError as GramFloodWaitError, SlowModeWaitError } from 'telegram/errors/RPCErrorList.js';
import { PromisedNetSockets } from 'telegram/extensions/index.js';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import {
  ConnectionTCPAbridged,
  ConnectionTCPFull,
  ConnectionTCPObfuscated,
  MTProtoSender,
} from 'telegram/network/index.js';
import { StringSession } from 'telegram/sessions/StringSession.js';

export {
  Api,
  AuthKey,
  bigInt,
  ConnectionTCPAbridged,
  ConnectionTCPFull,
  ConnectionTCPObfuscated,
  GramFloodWaitError,
  gramHandleUpdate,
  Logger,
  LogLevel,
  MTProtoSender,
  PromisedNetSockets,
  RPCError,
  SlowModeWaitError,
  StringSession,
  TelegramClient,
};
export type BigInteger = bigInt.BigInteger;

/** big-integer (GramJS) → bigint, never through a JS number. */
export function toBigint(v: bigInt.BigInteger | number | string | bigint | undefined | null): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  // big-integer keeps a native bigint (or a safe integer) in `value` on a runtime with BigInt: no round trip
  // through a decimal string for every id and access hash of every update.
  const value = (v as { value?: unknown }).value;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return BigInt(v.toString());
}

/** bigint → big-integer for GramJS's TL constructors. */
export function toBigInteger(v: bigint): bigInt.BigInteger {
  return bigInt(v.toString());
}

/**
 * A name or title of a TL object as pm keeps it: U+0000, which GramJS decodes as sent and which not every store can
 * hold, becomes U+FFFD. From anyone else a peer record holding it is refused (storage/validate.ts, `NUL_RULE`), but
 * a live peer is never lost for one character: its access hash matters more. Every TL name and title that becomes a
 * sighting (entities.ts, the `userName` update of updates.ts) passes here.
 */
export function textFromTl<T extends string | undefined>(text: T): T {
  return (text?.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text) as T;
}
