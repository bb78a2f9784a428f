import { PmError, SessionInvalidError } from '../errors.js';
import type { FormattedText, InlineButton, ParseMode } from '../gram/format.js';
import { unresolvedReason } from '../peers/errors.js';
import type { PeerRef } from '../peers/peer-ref.js';
import { type EditFailureReason, editFailureReason } from '../rpc-errors.js';
import type { InputPeerDescriptor, PeerRecord } from '../storage/types.js';
import type { IncomingUpdates } from '../updates/types.js';
import { MAX_MESSAGE_LENGTH } from './sender.js';

export interface EditInput {
  /** New text; leave it out to change only the keyboard. */
  readonly text?: string;
  readonly parseMode?: ParseMode;
  readonly noWebpage?: boolean;
  /** The inline keyboard after the edit; leaving it out removes the keyboard (as Telegram does). */
  readonly buttons?: readonly (readonly InlineButton[])[];
}

export type EditResult =
  | { readonly ok: true; readonly messageId: number; readonly editDate: number }
  | { readonly ok: false; readonly reason: EditFailureReason; readonly error?: PmError };

export type DeleteResult =
  | {
      readonly ok: true /** How many of the ids Telegram deleted (ids it did not know are skipped). */;
      readonly deleted: number;
    }
  | { readonly ok: false; readonly reason: EditFailureReason; readonly error?: PmError };

export interface EditDeps {
  resolvePeer(ref: PeerRef): Promise<PeerRecord>;
  inputPeerFor(id: bigint): Promise<InputPeerDescriptor | undefined>;
  format(text: string, mode: ParseMode | undefined): FormattedText;
  editMessage(
    peer: InputPeerDescriptor,
    id: number,
    text: FormattedText | undefined,
    opts: { noWebpage?: boolean; buttons?: readonly (readonly InlineButton[])[] },
  ): Promise<{ editDate: number; incoming: IncomingUpdates | undefined }>;
  deleteMessages(ids: readonly number[]): Promise<{ deleted: number; incoming: IncomingUpdates | undefined }>;
  /** Feeds the call's pts to the update engine. */
  onUpdates(incoming: IncomingUpdates): void;
}

function refused(e: unknown): { ok: false; reason: EditFailureReason; error?: PmError } {
  if (e instanceof SessionInvalidError || !(e instanceof PmError)) throw e;
  const reason = editFailureReason(e);
  return reason === 'failed' || reason === 'network'
    ? { ok: false, reason, error: e }
    : { ok: false, reason };
}

/** Edits one of the bot's messages in the chat `ref`; Telegram's refusals are results, not exceptions. */
export async function editMessage(
  deps: EditDeps,
  ref: PeerRef,
  messageId: number,
  input: string | EditInput,
): Promise<EditResult> {
  const req: EditInput = typeof input === 'string' ? { text: input } : input;
  if (!Number.isInteger(messageId) || messageId <= 0) return { ok: false, reason: 'messageInvalid' };
  const text = req.text === undefined ? undefined : deps.format(req.text, req.parseMode);
  if (text && text.text.trim() === '') return { ok: false, reason: 'empty' };
  if (text && text.text.length > MAX_MESSAGE_LENGTH) return { ok: false, reason: 'tooLong' };
  let input0: InputPeerDescriptor | undefined;
  try {
    const peer = await deps.resolvePeer(ref);
    input0 = await deps.inputPeerFor(peer.id);
  } catch (e) {
    const unresolved = unresolvedReason(e);
    if (unresolved !== undefined) return { ok: false, reason: unresolved };
    return refused(e);
  }
  if (!input0 || input0.min) return { ok: false, reason: 'notSeen' };
  try {
    const res = await deps.editMessage(input0, messageId, text, {
      ...(req.noWebpage !== undefined ? { noWebpage: req.noWebpage } : {}),
      ...(req.buttons ? { buttons: req.buttons } : {}),
    });
    if (res.incoming) deps.onUpdates(res.incoming);
    return { ok: true, messageId, editDate: res.editDate };
  } catch (e) {
    return refused(e);
  }
}

/** Deletes messages of the bot's private chats and groups, for everyone. */
export async function deleteMessages(deps: EditDeps, ids: readonly number[]): Promise<DeleteResult> {
  const valid = ids.filter((id) => Number.isInteger(id) && id > 0);
  if (valid.length !== ids.length) return { ok: false, reason: 'messageInvalid' };
  if (valid.length === 0) return { ok: true, deleted: 0 };
  try {
    const res = await deps.deleteMessages(valid);
    if (res.incoming) deps.onUpdates(res.incoming);
    return { ok: true, deleted: res.deleted };
  } catch (e) {
    return refused(e);
  }
}
