/**
 * The shape of one RPC handler. Each handler file exports one `Method` (or a small group) built with
 * `defineMethod`, keyed by the GramJS class of the request it answers.
 */
import type { CallContext, TLObject } from '../backend.js';
import type { UserRecord } from '../world/types.js';
import type { World } from '../world/world.js';
import type { Stats } from './stats.js';

/** Where clients reach this server (help.getConfig points every DC here). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export interface RpcContext {
  readonly world: World;
  readonly call: CallContext;
  readonly server: ServerAddress;
  readonly stats: Stats;
  /** The bot logged in on the caller's auth key, if any. */
  readonly bot: UserRecord | undefined;
}

/** The context of a method that needs a logged-in bot. */
export interface BotContext extends RpcContext {
  readonly bot: UserRecord;
}

interface TlClass<T> {
  readonly className: string;
  new (...args: never[]): T;
}

export interface Method {
  /** GramJS class name of the request, e.g. `messages.SendMessage`. */
  readonly name: string;
  /** Whether the caller must be logged in (else 401 AUTH_KEY_UNREGISTERED). */
  readonly auth: boolean;
  /** Whether `forceFloodWait` faults apply (not to connection housekeeping: help.*, auth.*, updates.*). */
  readonly floodable: boolean;
  handle(request: TLObject, ctx: RpcContext): TLObject | Promise<TLObject>;
}

/** A handler for a method that any connection may call (help.*, auth.*). */
export function publicMethod<T>(
  cls: TlClass<T>,
  handle: (request: T, ctx: RpcContext) => TLObject | Promise<TLObject>,
): Method {
  return { name: cls.className, auth: false, floodable: false, handle: (r, ctx) => handle(r as T, ctx) };
}

/** A handler for a method that needs a logged-in bot. */
export function botMethod<T>(
  cls: TlClass<T>,
  handle: (request: T, ctx: BotContext) => TLObject | Promise<TLObject>,
  opts: { floodable?: boolean } = {},
): Method {
  return {
    name: cls.className,
    auth: true,
    floodable: opts.floodable ?? true,
    handle: (r, ctx) => {
      if (!ctx.bot) throw new Error(`${cls.className} reached without a bot`);
      return handle(r as T, ctx as BotContext);
    },
  };
}
