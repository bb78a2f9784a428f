/**
 * The Backend the MTProto gateway calls: dispatches each unwrapped request to its handler, enforces login,
 * applies the scenario's faults (delay, forced flood waits), counts everything, and pushes the world's live
 * updates to the bots' auth keys through the gateway's UpdateSink.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Backend, type CallContext, RpcError, type TLObject, type UpdateSink } from '../backend.js';
import { renderDelivery } from '../world/render.js';
import type { World } from '../world/world.js';
import { BOT_FORBIDDEN_METHODS } from './bot-forbidden.js';
import type { Method, ServerAddress } from './method.js';
import { METHODS } from './methods.js';
import { Stats } from './stats.js';

export interface WorldBackendOptions {
  readonly world: World;
  /** This server's address as clients reach it; read per call (the port is known only after listen). */
  readonly server: () => ServerAddress;
  readonly stats?: Stats;
  /** Extra or replacement handlers (tests). */
  readonly methods?: readonly Method[];
}

export class WorldBackend implements Backend {
  readonly world: World;
  readonly stats: Stats;
  /** Real milliseconds every answer is held back (`tg.setDelay`). */
  delayMs = 0;
  private readonly methods = new Map<string, Method>();
  private sink: UpdateSink | undefined;
  private readonly server: () => ServerAddress;
  private readonly unsubscribe: () => void;

  constructor(opts: WorldBackendOptions) {
    this.world = opts.world;
    this.stats = opts.stats ?? new Stats();
    this.server = opts.server;
    for (const m of [...METHODS, ...(opts.methods ?? [])]) this.methods.set(m.name, m);
    this.unsubscribe = this.world.onDeliver((bot, delivery, exclude) => {
      const sink = this.sink;
      const keys = bot.account?.authKeys;
      if (!sink || !keys?.size) return;
      let updates: TLObject | undefined;
      for (const key of keys) {
        if (key === exclude) continue;
        updates ??= renderDelivery(this.world, bot, delivery);
        this.stats.updatesPushed += sink.pushToAuthKey(key, updates);
      }
    });
  }

  /** Where live updates go (the gateway); replaced on every (re)start. */
  attach(sink: UpdateSink | undefined): void {
    this.sink = sink;
  }

  dispose(): void {
    this.unsubscribe();
    this.sink = undefined;
  }

  async invoke(request: TLObject, ctx: CallContext): Promise<TLObject> {
    const name: string = request?.className ?? 'unknown';
    this.stats.call(name);
    if (this.delayMs > 0) await sleep(this.delayMs);
    try {
      return await this.dispatch(name, request, ctx);
    } catch (e) {
      if (e instanceof RpcError) {
        this.stats.error(e.errorMessage);
        throw e;
      }
      // A handler bug: answer at once with a visible name instead of a 500 (GramJS retries those for seconds).
      console.error(`testserver: ${name} failed`, e);
      this.stats.error('TESTSERVER_INTERNAL');
      throw new RpcError(400, 'TESTSERVER_INTERNAL');
    }
  }

  private async dispatch(name: string, request: TLObject, ctx: CallContext): Promise<TLObject> {
    const method = this.methods.get(name);
    if (!method) {
      if (BOT_FORBIDDEN_METHODS.has(name)) throw new RpcError(400, 'BOT_METHOD_INVALID');
      // What Telegram answers a method it does not know; here: a method this emulation does not implement.
      this.stats.unhandledMethod(name);
      throw new RpcError(400, 'INPUT_METHOD_INVALID');
    }
    const bot = this.world.botByAuthKey(ctx.authKeyId);
    if (method.auth && !bot) {
      // A key whose bot token was revoked is told so; one that never logged in is merely unregistered.
      if (this.world.revokedAuthKeys.has(ctx.authKeyId)) throw new RpcError(401, 'SESSION_REVOKED');
      throw new RpcError(401, 'AUTH_KEY_UNREGISTERED');
    }
    if (method.floodable) {
      const forced = this.world.flood.takeForced(name);
      if (forced > 0) throw new RpcError(420, `FLOOD_WAIT_${forced}`);
    }
    return method.handle(request, {
      world: this.world,
      call: ctx,
      server: this.server(),
      stats: this.stats,
      bot,
    });
  }
}
