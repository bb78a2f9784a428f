/**
 * Where `pm peers export` writes: a file given with `-o`, put in place whole or not at all, or stdout.
 *
 * A file is written beside its path under a temporary name, synced and renamed over the path at the end: an export
 * that fails part way (disk full, an I/O error, a store that fails to read) leaves no half file at the path, and an
 * earlier export there stays as it was (the new file takes its permissions). A path that is not a regular file (a
 * device such as /dev/stdout, a FIFO) is written in place; through a symbolic link to a file, the file it points
 * to is replaced. A write that fails is a CommandFailed naming the output and why, never a bare errno.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { type ExportFormat, exportPeers, type PeerRecord } from '@pm/core';
import { CommandFailed } from '../errors.js';
import { isBrokenPipe } from '../io.js';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'its folder does not exist',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'the disk quota is used up (EDQUOT)',
  EFBIG: 'the file would be too large (EFBIG)',
  EIO: 'an I/O error (EIO)',
};

/** The errno code of a failure of the file system or a stream, if it is one. */
function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

function unwritable(output: string, code: string, after: string): CommandFailed {
  return new CommandFailed(
    'EXPORT_UNWRITABLE',
    `cannot write the export to ${output}: ${ERRNO_TEXT[code] ?? code}${after}`,
    { output },
  );
}

/** Whether an export given this `-o` writes to stdout: none given, or '-' (as for most tools, not a file named so). */
export const toStdout = (path: string | undefined): path is undefined | '-' =>
  path === undefined || path === '-';

/**
 * Writes `records` to the file `path` (see the module comment) or, when `path` is undefined or '-', to `stdout`
 * (left open). Resolves to the number written; rejects with CommandFailed('EXPORT_UNWRITABLE') when the output
 * cannot be written, and with the records' own error (a store that fails to read) otherwise, the file's temporary
 * copy removed either way.
 */
export async function writeExport(
  records: AsyncIterable<PeerRecord>,
  format: ExportFormat,
  path: string | undefined,
  stdout: Writable,
): Promise<number> {
  if (toStdout(path)) {
    try {
      return await exportPeers(records, format, stdout, { end: false });
    } catch (e) {
      const code = errnoOf(e);
      if (code === undefined || isBrokenPipe(e)) throw e;
      throw unwritable('stdout', code, '');
    }
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw unwritable(path, 'EISDIR', '');
  const inPlace = existing !== undefined && !existing.isFile();
  // A symbolic link to a file: the file it points to is replaced, the link stays.
  const final = existing?.isFile() ? await realpath(path) : path;
  const target = inPlace ? path : join(dirname(final), `.${basename(final)}.${process.pid}.partial`);
  const stream = await openStream(target, path, inPlace);
  try {
    // An export holds phones and access hashes: a file the user had made private stays so.
    if (!inPlace && existing !== undefined) await chmod(target, existing.mode & 0o7777);
    const count = await exportPeers(records, format, stream);
    if (!inPlace) {
      const handle = await open(target, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(target, final);
    }
    return count;
  } catch (e) {
    stream.destroy();
    if (!inPlace) await unlink(target).catch(() => {});
    const code = errnoOf(e);
    if (code === undefined || e instanceof CommandFailed) throw e;
    throw unwritable(path, code, inPlace ? '' : `; nothing was written at ${path}`);
  }
}

async function openStream(target: string, path: string, inPlace: boolean): Promise<WriteStream> {
  const stream = createWriteStream(target, { flags: inPlace ? 'w' : 'wx' });
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
  } catch (e) {
    throw unwritable(path, errnoOf(e) ?? String(e), '');
  }
  return stream;
}
