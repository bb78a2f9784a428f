/** The GramJS requests for the bot's own messages, built from project types. */
import type { InputPeerDescriptor } from '../storage/types.js';
import { toGramInputPeer } from './entities.js';
import { type FormattedText, type InlineButton, inlineKeyboard } from './format.js';
import { Api, toBigInteger } from './tl.js';

export interface SendOptions {
  silent?: boolean;
  replyTo?: number;
  noWebpage?: boolean;
  buttons?: readonly (readonly InlineButton[])[];
}

export interface EditOptions {
  noWebpage?: boolean;
  buttons?: readonly (readonly InlineButton[])[];
}

export interface CallbackAnswer {
  text?: string;
  alert?: boolean;
  url?: string;
  cacheTime?: number;
}

export function sendMessageRequest(
  ref: InputPeerDescriptor,
  message: FormattedText,
  randomId: bigint,
  opts: SendOptions,
): Api.messages.SendMessage {
  return new Api.messages.SendMessage({
    peer: toGramInputPeer(ref),
    message: message.text,
    randomId: toBigInteger(randomId),
    silent: opts.silent,
    noWebpage: opts.noWebpage,
    ...(message.entities.length > 0 ? { entities: message.entities as Api.TypeMessageEntity[] } : {}),
    ...(opts.replyTo ? { replyTo: new Api.InputReplyToMessage({ replyToMsgId: opts.replyTo }) } : {}),
    ...(opts.buttons ? { replyMarkup: inlineKeyboard(opts.buttons) } : {}),
  });
}

/** New text (or the old one when `message` is undefined) and keyboard; no `buttons` removes the keyboard. */
export function editMessageRequest(
  ref: InputPeerDescriptor,
  id: number,
  message: FormattedText | undefined,
  opts: EditOptions,
): Api.messages.EditMessage {
  return new Api.messages.EditMessage({
    peer: toGramInputPeer(ref),
    id,
    noWebpage: opts.noWebpage,
    ...(message ? { message: message.text } : {}),
    ...(message && message.entities.length > 0
      ? { entities: message.entities as Api.TypeMessageEntity[] }
      : {}),
    ...(opts.buttons ? { replyMarkup: inlineKeyboard(opts.buttons) } : {}),
  });
}

export function callbackAnswerRequest(
  queryId: bigint,
  answer: CallbackAnswer,
): Api.messages.SetBotCallbackAnswer {
  return new Api.messages.SetBotCallbackAnswer({
    queryId: toBigInteger(queryId),
    alert: answer.alert,
    cacheTime: answer.cacheTime ?? 0,
    ...(answer.text ? { message: answer.text } : {}),
    ...(answer.url ? { url: answer.url } : {}),
  });
}
