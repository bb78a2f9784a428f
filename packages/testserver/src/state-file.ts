import { closeSync, fchmodSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ExportedAuthKeys } from './auth/auth-key-store.js';
import type { WorldJson } from './world/persist.js';

/** What TestServer's `stateFile` holds: the world, the auth keys and the salt key. */
export interface StateFile {
  world: WorldJson;
  authKeys: ExportedAuthKeys;
  /** The gateway's salt key (base64): kept so clients' server salts stay valid across restarts. */
  saltSecret: string;
}

/** The state file's contents; `undefined` when there is no file yet. */
export function readState(file: string): StateFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as StateFile;
}

/** Writes the state file atomically, owner-only from the first byte (it holds every client's auth key). */
export function writeState(file: string, state: StateFile): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600); // even over a stale temp file
    writeFileSync(fd, `${JSON.stringify(state)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
