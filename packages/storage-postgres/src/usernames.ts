import type { UsernameRepository } from '@pm/core';

type UsernameEntry = Parameters<UsernameRepository['replaceForPeers']>[0][number];

import type { Access } from './access.js';
import { type PeerStatements, syncUsernames } from './peer-writes.js';

/**
 * The username index (unique on lower(username)). In a transaction that upserted a peer, the index already
 * follows that peer's stored row, which may differ from the entry (another process's full record won), so such
 * entries are skipped; any other entry is applied, taking each name from the row of its previous owner.
 */
export class PostgresUsernameRepository implements UsernameRepository {
  readonly #resolve: string;
  readonly #deleteFor: string;

  constructor(
    private readonly access: Access,
    private readonly statements: PeerStatements,
  ) {
    const usernames = access.driver.table('usernames');
    this.#resolve = `SELECT lower(username) AS name, peer_id FROM ${usernames} WHERE lower(username) = ANY($1::text[])`;
    this.#deleteFor = `DELETE FROM ${usernames} WHERE peer_id = ANY($1::bigint[]) RETURNING lower(username) AS name`;
  }

  async resolveMany(lowerNames: readonly string[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    if (lowerNames.length === 0) return found;
    const { rows } = await this.access.read.query<{ name: string; peer_id: bigint }>(this.#resolve, [
      lowerNames,
    ]);
    for (const row of rows) found.set(row.name, row.peer_id);
    return found;
  }

  async replaceForPeers(entries: readonly UsernameEntry[]): Promise<void> {
    this.access.driver.assertOpen();
    if (entries.length === 0) return;
    await this.access.atomic(async (scope) => {
      const rest = entries.filter((e) => !scope.ctx.synced.has(e.peerId));
      if (rest.length === 0) return;
      const at = this.access.driver.now();
      await syncUsernames(
        scope,
        this.statements,
        rest.map((e) => ({
          peerId: e.peerId,
          usernames: e.usernames,
          at: scope.ctx.after.get(e.peerId)?.lastSeen ?? at,
        })),
      );
    });
  }

  async deleteForPeers(peerIds: readonly bigint[]): Promise<void> {
    this.access.driver.assertOpen();
    if (peerIds.length === 0) return;
    await this.access.atomic(async (scope) => {
      const { rows } = await scope.sql.query<{ name: string }>(this.#deleteFor, [peerIds]);
      for (const { name } of rows) scope.ctx.names.add(name);
    });
  }
}
