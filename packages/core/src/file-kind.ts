import type { Stats } from 'node:fs';

/** What a path that is no regular file is, for messages: `a folder`, `a device`... */
export function notAFile(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isFIFO()) return 'a pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}
