import { chmod, type FileHandle, mkdir, open, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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

/** Permission bits a session file must not have: any access by the group or others. */
const LOOSE_MODE_BITS = 0o077;

/**
 * Reads and validates a session file. Errors name the file and the problem, never its content.
 *
 * Like ssh with a private key, a session file that the group or others may access (mode not 0600 or stricter)
 * is refused rather than used or silently tightened: its auth key may already have been read, and only its
 * owner can tell. The error says how to fix it (`chmod 600`, or log in again for a new key).
 */
export async function readSessionFile(path: string): Promise<SessionData> {
  let text: string;
  let fh: FileHandle | undefined;
  try {
    // Before opening: opening a pipe (FIFO) would wait for a writer, maybe forever.
    if (!(await stat(path)).isFile()) throw new SessionFileError(path, 'is not a regular file');
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile()) throw new SessionFileError(path, 'is not a regular file');
    const loose = st.mode & LOOSE_MODE_BITS;
    if (loose !== 0 && process.platform !== 'win32') {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new SessionFileError(
        path,
        `is readable or writable by others (mode ${mode}); it holds the bot's auth key, so it is refused. ` +
          `If nobody else could have read it, run \`chmod 600 ${path}\`; otherwise log in again for a new key`,
      );
    }
    text = await fh.readFile('utf8');
  } catch (e) {
    if (e instanceof SessionFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SessionFileError(
      path,
      code === 'ENOENT'
        ? 'not found; create one with `npx pm login` (in the pm workspace: `pnpm bot-login`)'
        : `cannot be read (${code})`,
      code === 'ENOENT',
    );
  } finally {
    await fh?.close();
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
    !validKeyLength(Buffer.from(d.authKey, 'base64').length) ||
    typeof d.apiId !== 'number' ||
    typeof d.apiHash !== 'string'
  ) {
    throw new SessionFileError(path, 'is not a pm session (version 1) or is damaged');
  }
  return d as SessionData;
}

/**
 * An auth key is g_ab, a number below the 2048-bit DH prime: 256 bytes in the spec, but GramJS keeps its minimal
 * bytes, so about 1 key in 256 is 255 bytes long (and the session works with the server that made it with GramJS).
 */
function validKeyLength(bytes: number): boolean {
  return bytes >= 240 && bytes <= 256;
}

/**
 * Writes the session atomically (temp file + rename), mode 0600 from the first byte. A path that cannot hold it (a
 * folder, a folder that cannot be made) is a {@link SessionFileError} naming it; no temp file is left behind.
 */
export async function writeSessionFile(path: string, data: SessionData): Promise<void> {
  await (await stageSessionFile(path, data)).commit();
}

/** A session file written but not yet in place: see {@link stageSessionFile}. */
export interface StagedSessionFile {
  /** Puts the file in place (replacing the one there); after a failure (a SessionFileError) nothing is left. */
  commit(): Promise<void>;
  /** Removes what staging made (the temp file, the folders made for it); the path is as it was before. */
  discard(): Promise<void>;
}

/**
 * The first half of {@link writeSessionFile}: makes the folder and writes the whole file (mode 0600, synced) to a
 * temp file beside the path, so that what can fail has failed, but the file at the path (if any) is untouched until
 * {@link StagedSessionFile.commit}. For a command that creates something else with the session and must leave the
 * disk as it was when that fails (`pm login` and its store). A path that cannot hold a session is a
 * {@link SessionFileError} naming it, and nothing is left behind.
 */
export async function stageSessionFile(path: string, data: SessionData): Promise<StagedSessionFile> {
  const dir = dirname(path);
  let made: string | undefined;
  try {
    made = await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SessionFileError(
      path,
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `cannot be written: ${dir} is not a folder`
        : `cannot be written: its folder ${dir} cannot be made (${code})`,
    );
  }
  const tmp = `${path}.${process.pid}.tmp`;
  const discard = async (): Promise<void> => {
    await unlink(tmp).catch(() => {});
    await removeMadeFolders(dir, made);
  };
  const failed = async (e: unknown): Promise<never> => {
    await discard();
    if (e instanceof SessionFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SessionFileError(
      path,
      code === 'EISDIR' ? 'is a folder, expected a session file' : `cannot be written (${code})`,
    );
  };
  try {
    // A folder at the path would fail only the rename: found now, before the caller creates anything else.
    if ((await stat(path).catch(() => undefined))?.isDirectory()) {
      throw new SessionFileError(path, 'is a folder, expected a session file');
    }
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o600);
  } catch (e) {
    return failed(e);
  }
  return {
    commit: async () => {
      try {
        await rename(tmp, path);
      } catch (e) {
        await failed(e);
      }
    },
    discard,
  };
}

/** Removes the folders `mkdir -p` made for `dir` (`made` is the topmost), deepest first, each only if empty. */
async function removeMadeFolders(dir: string, made: string | undefined): Promise<void> {
  if (made === undefined) return;
  const top = resolve(made);
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === top || dirname(d) === d) return;
  }
}
