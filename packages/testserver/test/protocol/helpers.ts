/**
 * Test helpers for the protocol suite: a tiny stub Backend and a real GramJS client wired to a Gateway.
 */
import bigInt from 'big-integer';
import { Api, TelegramClient } from 'telegram';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { PacketCodec } from 'telegram/network/connection/Connection.js';
import { Connection, ConnectionTCPFull, ConnectionTCPObfuscated } from 'telegram/network/connection/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import { type Backend, type CallContext, RpcError, type TLObject } from '../../src/backend.js';
import { Gateway, type GatewayOptions } from '../../src/gateway.js';
import { registerTestServerKey } from '../../src/keys.js';

export const API_ID = 12345;
export const API_HASH = '0123456789abcdef0123456789abcdef';
export const BOT_ID = 7_000_000_001n;

/** A handler for one request class, for tests that need more than the stub. */
export type Handler = (request: TLObject, ctx: CallContext) => unknown;

/** Minimal Telegram for GramJS's connect / bot login; `extra` answers other requests by class name. */
export interface StubBackend extends Backend {
  readonly calls: string[];
  readonly authorized: Set<string>;
  readonly extra: Map<string, Handler>;
}

export function botUser(): Api.User {
  return new Api.User({
    id: bigInt(BOT_ID.toString()),
    self: true,
    bot: true,
    accessHash: bigInt('123456789'),
    firstName: 'Test Bot',
    username: 'test_bot',
    botInfoVersion: 1,
  });
}

export function makeConfig(address: string): Api.Config {
  const now = Math.floor(Date.now() / 1000);
  return new Api.Config({
    date: now,
    expires: now + 3600,
    testMode: false,
    thisDc: 2,
    dcOptions: [1, 2, 3, 4, 5].map((id) => new Api.DcOption({ id, ipAddress: address, port: 443 })),
    dcTxtDomainName: 'localhost',
    chatSizeMax: 200,
    megagroupSizeMax: 200000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210000,
    offlineBlurTimeoutMs: 5000,
    offlineIdleTimeoutMs: 30000,
    onlineCloudTimeoutMs: 300000,
    notifyCloudDelayMs: 30000,
    notifyDefaultDelayMs: 1500,
    pushChatPeriodMs: 60000,
    pushChatLimit: 2,
    editTimeLimit: 172800,
    revokeTimeLimit: 172800,
    revokePmTimeLimit: 172800,
    ratingEDecay: 2419200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604800,
    callReceiveTimeoutMs: 20000,
    callRingTimeoutMs: 90000,
    callConnectTimeoutMs: 30000,
    callPacketTimeoutMs: 10000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: 2,
  });
}

export function stubBackend(address: () => string): StubBackend {
  const calls: string[] = [];
  const authorized = new Set<string>();
  const extra = new Map<string, Handler>();
  return {
    calls,
    authorized,
    extra,
    async invoke(request, ctx) {
      calls.push(request.className);
      const handler = extra.get(request.className);
      if (handler) return handler(request, ctx);
      if (request instanceof Api.help.GetConfig) return makeConfig(address());
      if (request instanceof Api.help.GetNearestDc) {
        return new Api.NearestDc({ country: 'US', thisDc: 2, nearestDc: 2 });
      }
      if (request instanceof Api.auth.ImportBotAuthorization) {
        authorized.add(ctx.authKeyId);
        return new Api.auth.Authorization({ user: botUser() });
      }
      if (!authorized.has(ctx.authKeyId)) throw new RpcError(401, 'AUTH_KEY_UNREGISTERED');
      if (request instanceof Api.updates.GetState) {
        return new Api.updates.State({
          pts: 1,
          qts: 0,
          date: Math.floor(Date.now() / 1000),
          seq: 1,
          unreadCount: 0,
        });
      }
      if (request instanceof Api.users.GetUsers) return request.id.map(() => botUser());
      throw new RpcError(400, 'METHOD_NOT_IMPLEMENTED');
    },
  };
}

/** A gateway on a free port with a stub backend. */
export async function startGateway(
  options: Partial<GatewayOptions> = {},
): Promise<{ gw: Gateway; backend: StubBackend; errors: unknown[] }> {
  registerTestServerKey();
  const errors: unknown[] = [];
  let gw: Gateway | undefined;
  const backend = stubBackend(() => gw?.address ?? '127.0.0.1');
  gw = await Gateway.start({ backend, onError: (e) => errors.push(e), ...options });
  return { gw, backend, errors };
}

/** What GramJS hands a codec: a socket (readExactly) or the obfuscation layer (read reads exactly). */
interface PacketReader {
  readExactly?: (n: number) => Promise<Buffer>;
  read: (n: number) => Promise<Buffer>;
}

/** GramJS has no intermediate connection class; this is the 20-line one a user would write. */
class IntermediatePacketCodec extends PacketCodec {
  static tag = Buffer.from('eeeeeeee', 'hex');
  static obfuscateTag = Buffer.from('eeeeeeee', 'hex');
  tag = IntermediatePacketCodec.tag;

  override encodePacket(data: Buffer): Buffer {
    const length = Buffer.alloc(4);
    length.writeInt32LE(data.length, 0);
    return Buffer.concat([length, data]);
  }

  override async readPacket(reader: PacketReader): Promise<Buffer> {
    const read = (n: number): Promise<Buffer> =>
      reader.readExactly ? reader.readExactly(n) : reader.read(n);
    const length = (await read(4)).readInt32LE(0);
    return read(length);
  }
}

export class ConnectionTCPIntermediate extends Connection {
  override PacketCodecClass = IntermediatePacketCodec as TLObject;
}

export class ConnectionTCPObfuscatedIntermediate extends ConnectionTCPObfuscated {
  override PacketCodecClass = IntermediatePacketCodec as TLObject;
}

export type ConnectionClass = typeof Connection;

/** A real GramJS client pointed at `gw` (not yet connected). */
export function makeClient(
  gw: Gateway,
  connection: ConnectionClass = ConnectionTCPFull,
  session = '',
): TelegramClient {
  const client = new TelegramClient(new StringSession(session), API_ID, API_HASH, {
    connection,
    networkSocket: gw.clientSocket,
    useWSS: false,
    autoReconnect: false,
    connectionRetries: 1,
    retryDelay: 100,
    baseLogger: new Logger(LogLevel.NONE),
  });
  client.session.setDC(2, '127.0.0.1', 443);
  return client;
}

/** A connected client; fails the test if GramJS could not connect. */
export async function connectClient(
  gw: Gateway,
  connection: ConnectionClass = ConnectionTCPFull,
  session = '',
): Promise<TelegramClient> {
  const client = makeClient(gw, connection, session);
  if (!(await client.connect())) throw new Error('GramJS could not connect to the gateway');
  return client;
}

/** Resolves when `predicate` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
