import { RpcError, type TLObject } from '../backend.js';
import { Api } from '../tl.js';
import type { BotCommandSet } from '../world/types.js';
import { botMethod } from './method.js';

const COMMAND_RE = /^[a-z0-9_]{1,32}$/;

/** The key a command list is stored under: the scope's constructor, plus its peer when it has one. */
function scopeKey(scope: TLObject): string {
  const name: string = scope?.className ?? 'BotCommandScopeDefault';
  const peer = scope?.peer;
  const peerId = peer?.userId ?? peer?.chatId ?? peer?.channelId;
  const userId = scope?.userId?.userId;
  return [name, peerId, userId].filter((p) => p !== undefined).join(':');
}

function find(sets: BotCommandSet[], scope: string, langCode: string): BotCommandSet | undefined {
  return sets.find((s) => s.scope === scope && s.langCode === langCode);
}

/**
 * bots.setBotCommands: at most 100 commands of 1-32 characters `a-z0-9_` and a description of 1-256
 * characters (400 BOT_COMMAND_INVALID / BOT_COMMAND_DESCRIPTION_INVALID otherwise).
 */
export const botsSetBotCommands = botMethod(Api.bots.SetBotCommands, (req, ctx) => {
  if (req.commands.length > 100) throw new RpcError(400, 'BOT_COMMANDS_TOO_MUCH');
  for (const c of req.commands) {
    if (!COMMAND_RE.test(c.command)) throw new RpcError(400, 'BOT_COMMAND_INVALID');
    if (c.description.length < 1 || c.description.length > 256) {
      throw new RpcError(400, 'BOT_COMMAND_DESCRIPTION_INVALID');
    }
  }
  const acc = ctx.bot.account!;
  const scope = scopeKey(req.scope);
  acc.commands = acc.commands.filter((s) => !(s.scope === scope && s.langCode === req.langCode));
  if (req.commands.length > 0) {
    acc.commands.push({
      scope,
      langCode: req.langCode,
      commands: req.commands.map((c) => ({ command: c.command, description: c.description })),
    });
  }
  ctx.world.changed();
  return true;
});

export const botsGetBotCommands = botMethod(Api.bots.GetBotCommands, (req, ctx) => {
  const set = find(ctx.bot.account!.commands, scopeKey(req.scope), req.langCode);
  return (set?.commands ?? []).map((c) => new Api.BotCommand(c));
});

export const botsResetBotCommands = botMethod(Api.bots.ResetBotCommands, (req, ctx) => {
  const acc = ctx.bot.account!;
  const scope = scopeKey(req.scope);
  acc.commands = acc.commands.filter((s) => !(s.scope === scope && s.langCode === req.langCode));
  ctx.world.changed();
  return true;
});
