/**
 * GramJS `StringSession`: validated, but it holds no peers.
 *
 * Format source: GramJS (npm `telegram`) 2.26.22, `sessions/StringSession.js`: the character '1' (the version), then
 * base64 of `dc id (1 byte) | address length (int16 BE) | address (UTF-8) | port (int16 BE) | auth key (256
 * bytes)`. A string whose base64 part is 352 characters long is a Telethon string instead: `dc id | IPv4 (4 bytes) |
 * port | auth key`; GramJS reads those too. An address length over 100 means a raw 16-byte IPv6 address. The
 * string is a login secret: it never appears in an error or a note.
 */
import { readFile, stat } from 'node:fs/promises';
import { ImportError } from './errors.js';
import { fileError, notAFile } from './source-file.js';
import type { ImportResult } from './types.js';

/** What a session string says besides the (secret) auth key. */
export interface SessionStringInfo {
  /** Which library's layout it uses. */
  readonly flavour: 'gramjs' | 'telethon';
  readonly dcId: number;
  readonly serverAddress: string;
  readonly port: number;
}

/** Stands for an inline session string in errors and notes. */
export const INLINE_SESSION = '<session string>';

const AUTH_KEY_BYTES = 256;
const TELETHON_IPV4_CHARS = 352;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** Anything this long made of base64 characters is taken for a session string rather than a path. */
const LOOKS_LIKE_SESSION = /^[A-Za-z0-9+/_-]{100,}={0,2}$/;

/** True when `source` is an inline session string (of any library) rather than a path. */
export function looksLikeSessionString(source: string): boolean {
  return LOOKS_LIKE_SESSION.test(source.trim());
}

/** Decodes a GramJS or Telethon session string; throws IMPORT_INVALID_SESSION_STRING naming `path`, never `value`. */
export function parseSessionString(value: string, path: string = INLINE_SESSION): SessionStringInfo {
  const fail = (reason: string): never => {
    throw new ImportError('IMPORT_INVALID_SESSION_STRING', path, reason);
  };
  const text = value.trim();
  if (text.length === 0) fail('is empty; expected a GramJS StringSession ("1" followed by base64)');
  if (text[0] !== '1') {
    fail(
      'does not start with the version "1" of a GramJS/Telethon StringSession (Pyrogram and mtcute session strings are not read: they hold no peers either)',
    );
  }
  const body = text.slice(1);
  if (!BASE64.test(body)) fail('is not base64 after the version character');
  const bytes = Buffer.from(body, 'base64');
  const dcId = bytes[0] ?? 0;
  if (dcId === 0) fail('has no data center id');
  let offset = 1;
  let serverAddress: string;
  let flavour: SessionStringInfo['flavour'] = 'gramjs';
  const need = (n: number): void => {
    if (offset + n > bytes.length)
      fail(`is too short: ${bytes.length} bytes decoded, expected at least ${offset + n}`);
  };
  if (body.length === TELETHON_IPV4_CHARS) {
    flavour = 'telethon';
    need(4);
    serverAddress = [...bytes.subarray(offset, offset + 4)].join('.');
    offset += 4;
  } else {
    need(2);
    const length = bytes.readInt16BE(offset);
    if (length > 100) {
      need(16);
      serverAddress = (
        bytes
          .subarray(offset, offset + 16)
          .toString('hex')
          .match(/.{4}/g) ?? []
      ).join(':');
      offset += 16;
    } else {
      offset += 2;
      if (length <= 0) fail('has an empty server address');
      need(length);
      serverAddress = bytes.subarray(offset, offset + length).toString('utf8');
      offset += length;
    }
  }
  need(2);
  const port = bytes.readUInt16BE(offset);
  offset += 2;
  if (port === 0) fail('has port 0');
  const keyBytes = bytes.length - offset;
  if (keyBytes !== AUTH_KEY_BYTES)
    fail(`holds a ${keyBytes}-byte auth key, expected ${AUTH_KEY_BYTES} bytes`);
  return { flavour, dcId, serverAddress, port };
}

/**
 * "Imports" a StringSession, inline or from a text file: validates it and yields no peers, with a note saying why.
 */
export async function readGramjsStringSession(source: string): Promise<ImportResult> {
  let value: string;
  let path: string;
  try {
    // Not read unless a regular file: a pipe (FIFO) would wait for a writer, maybe forever; /dev/zero never ends.
    const info = await stat(source);
    if (!info.isFile())
      throw new ImportError(
        'IMPORT_UNREADABLE',
        source,
        `is ${notAFile(info)}, expected a session string file`,
      );
    value = await readFile(source, 'utf8');
    path = source;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    // Not a readable file: an inline string, never to be named in an error.
    if (!looksLikeSessionString(source)) throw fileError(source, e);
    value = source;
    path = INLINE_SESSION;
  }
  const info = parseSessionString(value, path);
  const notes = [
    `a ${flavourName(info.flavour)} StringSession holds only the data center (dc ${info.dcId}, ${info.serverAddress}:${info.port}) and the auth key: it has no peers to import`,
    `0 records read, 0 rows skipped from ${path}`,
  ];
  return { format: 'gramjs-string', records: noRecords(), notes };
}

function flavourName(flavour: SessionStringInfo['flavour']): string {
  return flavour === 'gramjs' ? 'GramJS' : 'Telethon';
}

async function* noRecords(): AsyncGenerator<never> {}
