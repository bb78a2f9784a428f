/**
 * `updates.getState` / `updates.getDifference` over a bot's update log.
 *
 * Entries with pts (new messages) or qts (bot-stopped, join requests) are placed exactly by the client's pts and
 * qts. Entries with neither (updateUserName, updateUser) can only be placed by date: one is considered received
 * when a later pts/qts entry was, or when it is older than the client's state date. At a date boundary that may
 * repeat such an update, never lose it. Slices always end on a pts/qts entry so that a client following
 * `intermediate_state` makes progress.
 */
import { Api } from '../tl.js';
import { renderEntities, renderMessage, renderUpdate } from './render.js';
import type { LogEntry, PeerRef, UserMention, UserRecord } from './types.js';
import { account, type World } from './world.js';

export interface DifferenceRequest {
  pts: number;
  qts: number;
  date: number;
  ptsTotalLimit?: number;
}

function bumps(e: LogEntry): boolean {
  return e.ptsCount > 0 || e.qtsBump;
}

export function currentState(world: World, bot: UserRecord): Api.updates.State {
  const acc = account(bot);
  return new Api.updates.State({
    pts: acc.pts,
    qts: acc.qts,
    date: world.date(),
    seq: acc.seq,
    unreadCount: 0,
  });
}

/** Entries the client with state `req` has not received, oldest first. */
export function pendingEntries(log: readonly LogEntry[], req: DifferenceRequest): LogEntry[] {
  let lastCovered = -1;
  log.forEach((e, i) => {
    if (e.ptsCount > 0 ? e.pts <= req.pts : e.qtsBump && e.qts <= req.qts) lastCovered = i;
  });
  return log.filter((e, i) => {
    if (e.ptsCount > 0) return e.pts > req.pts;
    if (e.qtsBump) return e.qts > req.qts;
    return i > lastCovered && e.date >= req.date;
  });
}

/** How many pending entries the next answer carries: about `sliceSize`, ending on a pts/qts entry. */
function sliceLength(pending: readonly LogEntry[], sliceSize: number): number {
  if (pending.length <= sliceSize) return pending.length;
  for (let i = sliceSize - 1; i >= 0; i--) if (bumps(pending[i]!)) return i + 1;
  const next = pending.findIndex((e, i) => i >= sliceSize && bumps(e));
  return next === -1 ? pending.length : next + 1;
}

export function getDifference(
  world: World,
  bot: UserRecord,
  req: DifferenceRequest,
): Api.updates.TypeDifference {
  const acc = account(bot);
  const behind = acc.pts - req.pts;
  if (
    req.pts < acc.trimmedPts ||
    req.qts < acc.trimmedQts ||
    behind > world.tooLongAfter ||
    (req.ptsTotalLimit !== undefined && req.ptsTotalLimit > 0 && behind > req.ptsTotalLimit)
  ) {
    return new Api.updates.DifferenceTooLong({ pts: acc.pts });
  }
  const pending = pendingEntries(acc.log, req);
  if (pending.length === 0) return new Api.updates.DifferenceEmpty({ date: world.date(), seq: acc.seq });

  const n = sliceLength(pending, world.sliceSize);
  const chunk = pending.slice(0, n);
  const newMessages: Api.TypeMessage[] = [];
  const otherUpdates: Api.TypeUpdate[] = [];
  const users: UserMention[] = [];
  const chats: PeerRef[] = [];
  for (const e of chunk) {
    users.push(...e.users);
    chats.push(...e.chats);
    if (e.update.kind === 'newMessage') {
      const msg = acc.messages.get(e.update.messageId);
      if (msg) newMessages.push(renderMessage(msg, bot));
    } else {
      otherUpdates.push(renderUpdate(world, bot, e));
    }
  }
  const entities = renderEntities(world, bot, users, chats);
  const body = { newMessages, newEncryptedMessages: [], otherUpdates, ...entities };
  if (n < pending.length) {
    const last = chunk[chunk.length - 1]!;
    return new Api.updates.DifferenceSlice({
      ...body,
      intermediateState: new Api.updates.State({
        pts: last.pts,
        qts: last.qts,
        date: last.date,
        seq: last.seq,
        unreadCount: 0,
      }),
    });
  }
  return new Api.updates.Difference({ ...body, state: currentState(world, bot) });
}
