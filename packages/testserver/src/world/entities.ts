/**
 * TL blobs: a few message parts (entities, reply markup) are kept as the client sent them, serialised with
 * GramJS's own `getBytes()` and read back with its `BinaryReader`, so any constructor round-trips through the
 * JSON state without the world modelling it.
 */
import { Api, extensions } from 'telegram';
import type { TLObject } from '../backend.js';

export function tlToBase64(obj: TLObject): string {
  return Buffer.from(obj.getBytes()).toString('base64');
}

export function tlFromBase64(b64: string): TLObject {
  return new extensions.BinaryReader(Buffer.from(b64, 'base64')).tgReadObject();
}

const COMMAND_RE = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=$|\s)/g;

/** `messageEntityBotCommand` for every /command in `text`, as Telegram marks them (UTF-16 offsets). */
export function botCommandEntities(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(COMMAND_RE)) {
    const offset = (m.index ?? 0) + (m[1]?.length ?? 0);
    const length = m[2]?.length ?? 0;
    out.push(tlToBase64(new Api.MessageEntityBotCommand({ offset, length })));
  }
  return out;
}
