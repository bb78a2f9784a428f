/** Reading the files an import comes from: stat and first bytes, with Node's failures as {@link ImportError}s. */
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ImportError } from './errors.js';

/** `stat()` with the failures named: missing → IMPORT_FILE_NOT_FOUND, anything else → IMPORT_UNREADABLE. */
export async function statSource(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

/** Maps a Node file-system error to an {@link ImportError}. */
export function fileError(path: string, e: unknown): ImportError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ImportError('IMPORT_FILE_NOT_FOUND', path, 'no such file or folder', { cause: e });
  }
  return new ImportError('IMPORT_UNREADABLE', path, `cannot be read (${code ?? String(e)})`, { cause: e });
}

export { notAFile } from '../file-kind.js';

/** Reads the first bytes of a file (fewer if it is shorter). */
export async function readHead(path: string, length: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (e) {
    throw fileError(path, e);
  } finally {
    await handle?.close();
  }
}
