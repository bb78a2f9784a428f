import { PmError } from '../errors.js';
import { unresolvedReason } from '../peers/errors.js';
import {
  FloodWaitError,
  type RpcCallError,
  type SendFailureReason,
  sendFailureReason,
} from '../rpc-errors.js';
import type { PeerCache } from '../storage/peer-cache.js';
import type { InputPeerDescriptor, PeerRecord } from '../storage/types.js';
import type { DialogService } from './dialog-service.js';

/** The send failures a "typing…" probe can meet: every `SendFailureReason` but those of the text or the network. */
export type CannotMessageReason = Exclude<SendFailureReason, 'tooLong' | 'empty' | 'network' | 'failed'>;

export type CanMessageResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: CannotMessageReason; readonly retryAfter?: number };

export interface ProbeDeps {
  readonly peers: PeerCache;
  readonly dialogs: DialogService;
  resolveUser(): Promise<PeerRecord>;
  setTyping(peer: InputPeerDescriptor): Promise<void>;
}

/**
 * "Can I message this user?" — Telegram's own advice: show "typing…"; if that fails, the user blocked the bot or
 * never started it. Bots and deleted accounts are answered from the cache without a network call. What the probe
 * learns is written to the dialog state.
 */
export async function canMessage(deps: ProbeDeps): Promise<CanMessageResult> {
  let user: PeerRecord;
  try {
    user = await deps.resolveUser();
  } catch (e) {
    const unresolved = unresolvedReason(e);
    if (unresolved !== undefined) return { ok: false, reason: unresolved };
    throw e;
  }
  if (user.type === 'bot') return { ok: false, reason: 'isBot' };
  if (user.deleted) return { ok: false, reason: 'deactivated' };
  const peer = await deps.peers.inputPeerFor(user.id);
  if (!peer || peer.min) return { ok: false, reason: 'notSeen' };
  try {
    await deps.setTyping(peer);
  } catch (e) {
    if (!(e instanceof PmError)) throw e;
    const reason = sendFailureReason(e as RpcCallError, true);
    if (reason === 'floodWait') return { ok: false, reason, retryAfter: (e as FloodWaitError).seconds };
    if (reason === 'blocked') await deps.dialogs.noteReachability(user.id, 'blocked');
    if (reason === 'deactivated') await deps.peers.upsert([{ id: user.id, deleted: true }]);
    if (reason === 'blocked' || reason === 'notStarted' || reason === 'deactivated' || reason === 'isBot') {
      return { ok: false, reason };
    }
    if (reason === 'notSeen') return { ok: false, reason };
    throw e;
  }
  await deps.dialogs.noteReachability(user.id, 'ok');
  return { ok: true };
}

export { FloodWaitError };
