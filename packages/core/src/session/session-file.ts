import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PmError } from '../errors.js';

/**
 * What a session file keeps: where the bot's data center is, the auth key, and the API credentials later
 * scripts reuse. The bot token is not kept: the auth key is the login. The file is created mode 0600.
 */
export interface SessionData {
  readonly version: 1;
  readonly dcId: number;
  readonly serverAddress: string;
  readonly port: number;
  /** The 256-byte MTProto auth key, base64. Secret. */
  readonly authKey: string;
  readonly apiId: number;
  /** Secret. */
  readonly apiHash: string;
  /** Filled once logged in. ids as decimal strings. */
  readonly bot?: { readonly id: string; readonly username?: string; readonly firstName?: string };
}

export class SessionFileError extends PmError {
  constructor(
    readonly path: string,
    reason: string,
    /** The file does not exist (a first login will create it). */
    readonly missing = false,
  ) {
    super('SESSION_FILE', `Session file ${path}: ${reason}`);
  }
}

/** Reads and validates a session file. Errors name the file and the problem, never its content. */
export async function readSessionFile(path: string): Promise<SessionData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SessionFileError(
      path,
      code === 'ENOENT' ? 'not found; create one with `pnpm login`' : `cannot be read (${code})`,
      code === 'ENOENT',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SessionFileError(path, 'is not valid JSON (was it written by pm?)');
  }
  const d = data as Partial<SessionData>;
  if (
    d.version !== 1 ||
    typeof d.dcId !== 'number' ||
    typeof d.serverAddress !== 'string' ||
    typeof d.port !== 'number' ||
    typeof d.authKey !== 'string' ||
    Buffer.from(d.authKey, 'base64').length !== 256 ||
    typeof d.apiId !== 'number' ||
    typeof d.apiHash !== 'string'
  ) {
    throw new SessionFileError(path, 'is not a pm session (version 1) or is damaged');
  }
  return d as SessionData;
}

/** Writes the session atomically (temp file + rename), mode 0600 from the first byte. */
export async function writeSessionFile(path: string, data: SessionData): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(data, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
