/**
 * The peer writes, with the merge rules enforced by PostgreSQL so that processes sharing a store cannot undo each
 * other's knowledge, whatever the interleaving:
 *
 * - the upsert merges in `ON CONFLICT DO UPDATE`, against the row as it is at that moment (locked): a min record
 *   never replaces a full access hash nor any other field of a full row; a lang code is never cleared; a record
 *   seen before the row's last sighting (`last_seen`) changes none of its plain fields;
 * - the username index follows the row in the same transaction: a name the row gained is claimed in the unique
 *   index on lower(username), and the owner it is taken from (read back from that very statement) loses it from
 *   its row too; a name the row lost is freed;
 * - a phone a row gained is taken from any other row holding it (unique, checked at commit);
 * - every touched row is locked in id order and its before/after kept for the history (see write-context.ts).
 *
 * Lock order, against deadlocks between processes: before any row is written, a transaction takes a
 * transaction-scoped advisory lock per bucket of the peers it will touch (the batch's peers, whether their rows exist
 * yet or not, and the current owners of the usernames and holders of the phones it claims), all in one ascending
 * order of keys. Row locks alone cannot cover a row that does not exist yet: two batches inserting new peers while each
 * waited for a row of the other deadlocked (40P01). A peer found only later (an owner that changed in between) is
 * locked as it comes; a deadlock that may still cause is retried as a whole.
 */
import { createHash } from 'node:crypto';
import type { PeerRecord } from '@pm/core';
import type { Scope } from './access.js';
import type { PostgresDriver } from './driver.js';
import { RetryTransaction } from './errors.js';
import {
  joinNames,
  PEER_COLUMNS,
  PEER_UNNEST_TYPES,
  type PeerRow,
  peerColumns,
  peerParams,
  recordOf,
  sameList,
} from './peer-rows.js';

/** A min record arriving over a full row: it may only fill what the row lacks. */
const MIN_OVER_FULL = '(excluded.min AND NOT p.min)';
/**
 * A record older than the row: seen before the row's last sighting (`last_seen`), or holding fields that last
 * changed before the row's did (`last_updated`). Another process saw the peer since, and what it saw stands: a
 * delayed write must not bring back an old name, nor a sighting that carries no profile (a min one, say) write back
 * the fields a process kept in memory from before another process changed them (a username moving back to its
 * old owner).
 */
const OLDER = '(excluded.last_seen < p.last_seen OR excluded.last_updated < p.last_updated)';
/** Older, between records of the same authority: a full record's profile always replaces a min row's. */
const STALE = `(excluded.min = p.min AND ${OLDER})`;
/**
 * Over a full row, a min record changes nothing but the times. The record may carry the writer's stale memory as
 * much as the min sighting itself, so filling gaps from it could bring back what another process removed (e.g. a
 * username moved away); the next full sighting fills them anyway.
 */
const keepOverFull = (c: string): string =>
  `CASE WHEN ${MIN_OVER_FULL} OR ${STALE} THEN p.${c} ELSE excluded.${c} END`;
const LANG_KEPT = `excluded.lang_code IS NULL OR ${MIN_OVER_FULL} OR excluded.lang_code_seen_at < p.lang_code_seen_at`;

/** The merged value of each column, in terms of the stored row `p` and the incoming `excluded`. */
const MERGED: Record<string, string> = {
  id: 'p.id',
  type: keepOverFull('type'),
  access_hash: `CASE WHEN excluded.access_hash IS NULL THEN p.access_hash
    WHEN NOT excluded.min OR p.min OR p.access_hash IS NULL THEN excluded.access_hash
    ELSE p.access_hash END`,
  min: `CASE WHEN excluded.access_hash IS NULL THEN p.min
    WHEN NOT excluded.min THEN false
    WHEN p.min OR p.access_hash IS NULL THEN true
    ELSE p.min END`,
  usernames: keepOverFull('usernames'),
  first_name: keepOverFull('first_name'),
  last_name: keepOverFull('last_name'),
  title: keepOverFull('title'),
  phone: keepOverFull('phone'),
  lang_code: `CASE WHEN ${LANG_KEPT} THEN p.lang_code ELSE excluded.lang_code END`,
  lang_code_seen_at: `CASE WHEN ${LANG_KEPT} THEN p.lang_code_seen_at
    ELSE GREATEST(CASE WHEN p.lang_code = excluded.lang_code THEN p.lang_code_seen_at END, excluded.lang_code_seen_at) END`,
  premium: keepOverFull('premium'),
  verified: keepOverFull('verified'),
  deleted: keepOverFull('deleted'),
  photo_id: keepOverFull('photo_id'),
  first_seen: 'LEAST(p.first_seen, excluded.first_seen)',
  last_seen: 'GREATEST(p.last_seen, excluded.last_seen)',
  last_updated: '',
};
const TRACKED = PEER_COLUMNS.filter(
  (c) => !['id', 'lang_code_seen_at', 'first_seen', 'last_seen', 'last_updated'].includes(c),
);
MERGED.last_updated = `CASE WHEN ROW(${TRACKED.map((c) => MERGED[c]).join(', ')})
    IS DISTINCT FROM ROW(${TRACKED.map((c) => `p.${c}`).join(', ')})
  THEN GREATEST(p.last_updated, excluded.last_updated) ELSE p.last_updated END`;
// The columns come from the shared table description: a column added there without a merge rule here fails at load.
for (const c of PEER_COLUMNS) {
  if (!MERGED[c]) throw new Error(`peer-writes.ts: no merge rule for the peers column ${c}`);
}

/** The statements, built once per schema. */
export class PeerStatements {
  readonly advisory: string;
  readonly holders: string;
  /** Mixed into the advisory lock keys, so stores in other schemas of the database do not share them. */
  readonly salt: bigint;
  readonly lock: string;
  readonly upsert: string;
  readonly freeNames: string;
  readonly claimNames: string;
  readonly dropNames: string;
  readonly lockPhoneHolders: string;
  readonly clearPhones: string;
  readonly delete: string;
  readonly deleteNames: string;

  constructor(readonly driver: PostgresDriver) {
    const peers = driver.table('peers');
    const usernames = driver.table('usernames');
    const cols = peerColumns();
    this.salt = BigInt.asIntN(
      64,
      BigInt(`0x${createHash('sha256').update(driver.schema).digest('hex').slice(0, 16)}`),
    );
    this.advisory = `SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::bigint[]) AS t(k) ORDER BY k) AS s`;
    this.holders = `SELECT peer_id AS id FROM ${usernames} WHERE lower(username) = ANY($1::text[])
      UNION SELECT id FROM ${peers} WHERE phone = ANY($2::text[])`;
    this.lock = `SELECT ${cols} FROM ${peers} WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`;
    const unnest = PEER_UNNEST_TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ');
    const select = PEER_COLUMNS.map((c) =>
      c === 'usernames' ? "string_to_array(t.usernames, ' ')" : `t.${c}`,
    );
    this.upsert = `INSERT INTO ${peers} AS p (${cols})
      SELECT ${select.join(', ')} FROM unnest(${unnest}) AS t(${cols})
      ON CONFLICT (id) DO UPDATE SET ${PEER_COLUMNS.filter((c) => c !== 'id')
        .map((c) => `${c} = ${MERGED[c]}`)
        .join(',\n        ')}
      RETURNING ${peerColumns('p')}, (p.xmax = 0) AS inserted`;
    this.freeNames = `DELETE FROM ${usernames} WHERE peer_id = ANY($1::bigint[]) AND NOT (lower(username) = ANY($2::text[]))
      RETURNING lower(username) AS name`;
    this.claimNames = `INSERT INTO ${usernames} AS u (username, peer_id, position)
      SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[])
      ON CONFLICT ((lower(username))) DO UPDATE SET
        displaced_peer_id = CASE WHEN u.peer_id <> excluded.peer_id THEN u.peer_id END,
        peer_id = excluded.peer_id, username = excluded.username, position = excluded.position
      WHERE (u.peer_id, u.username, u.position) IS DISTINCT FROM (excluded.peer_id, excluded.username, excluded.position)
      RETURNING lower(u.username) AS name, u.displaced_peer_id AS displaced`;
    this.dropNames = `UPDATE ${peers} p SET
        usernames = ARRAY(SELECT x.u FROM unnest(p.usernames) WITH ORDINALITY AS x(u, i)
                          WHERE lower(x.u) <> ALL(string_to_array(v.names, ' ')) ORDER BY x.i),
        last_updated = GREATEST(p.last_updated, v.at)
      FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v(id, names, at)
      WHERE p.id = v.id AND EXISTS (SELECT 1 FROM unnest(p.usernames) AS y(u) WHERE lower(y.u) = ANY(string_to_array(v.names, ' ')))
      RETURNING ${peerColumns('p')}`;
    this.lockPhoneHolders = `SELECT ${cols} FROM ${peers} WHERE phone = ANY($1::text[]) AND NOT (id = ANY($2::bigint[]))
      ORDER BY id FOR UPDATE`;
    this.clearPhones = `UPDATE ${peers} SET phone = NULL, last_updated = GREATEST(last_updated, $2)
      WHERE id = ANY($1::bigint[]) AND phone IS NOT NULL RETURNING ${cols}`;
    this.delete = `DELETE FROM ${peers} WHERE id = ANY($1::bigint[]) RETURNING ${cols}`;
    this.deleteNames = `DELETE FROM ${usernames} WHERE peer_id = ANY($1::bigint[]) RETURNING lower(username) AS name`;
  }
}

const byId = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Advisory locks are taken per bucket of peer ids, not per peer: one lock per peer ran the server's lock table out
 * ("out of shared memory", 53200) for a write-behind batch of 50,000 new peers, whatever the retries. Buckets keep
 * one global lock order and bound the locks of a transaction; peers that share a bucket only wait for each other.
 */
export const ADVISORY_LOCK_BUCKETS = 1024n;

/** The advisory lock key of a peer's bucket (salted by schema). */
const bucketKey = (st: PeerStatements, id: bigint): bigint =>
  BigInt.asIntN(64, st.salt ^ (BigInt.asUintN(64, id ^ (id >> 20n)) % ADVISORY_LOCK_BUCKETS));

/**
 * Takes the advisory locks of peers' buckets not locked yet in this transaction, in ascending key order. Within a
 * transaction later calls may come out of order (a peer found late); the first call, holding the most, is ordered.
 */
async function advisoryLock(scope: Scope, st: PeerStatements, ids: Iterable<bigint>): Promise<void> {
  const keys: bigint[] = [];
  for (const id of ids) {
    const key = bucketKey(st, id);
    if (scope.ctx.advised.has(key)) continue;
    scope.ctx.advised.add(key);
    keys.push(key);
  }
  if (keys.length === 0) return;
  keys.sort(byId);
  await scope.sql.query(st.advisory, [keys]);
}

/** Locks rows (in id order, against deadlocks) and records their state at first touch. */
async function lock(scope: Scope, st: PeerStatements, ids: readonly bigint[]): Promise<void> {
  const fresh = ids.filter((id) => !scope.ctx.before.has(id));
  if (fresh.length === 0) return;
  const { rows } = await scope.sql.query<PeerRow>(st.lock, [fresh]);
  scope.ctx.locked(fresh, rows.map(recordOf));
}

/** Upserts records by the merge rules, then brings usernames and phones in line. */
export async function upsertPeers(
  scope: Scope,
  st: PeerStatements,
  records: readonly PeerRecord[],
): Promise<void> {
  const latest = new Map<bigint, PeerRecord>();
  for (const r of records) latest.set(r.id, r);
  if (latest.size === 0) return;
  const input = [...latest.values()].sort((a, b) => byId(a.id, b.id));
  const ids = input.map((r) => r.id);
  // Who holds the names and phones this batch claims now: they are about to lose them, so lock them up front too.
  const names = [...new Set(input.flatMap((r) => r.usernames.map((u) => u.toLowerCase())))];
  const claimed = input.flatMap((r) => (r.phone === null ? [] : [r.phone]));
  const { rows: holders } =
    names.length > 0 || claimed.length > 0
      ? await scope.sql.query<{ id: bigint }>(st.holders, [names, claimed])
      : { rows: [] };
  await advisoryLock(scope, st, [...ids, ...holders.map((h) => h.id)]);
  await lock(scope, st, ids);
  const { rows } = await scope.sql.query<PeerRow & { inserted: boolean }>(st.upsert, peerParams(input));
  const { ctx } = scope;
  const renamed: { peerId: bigint; usernames: readonly string[]; at: number }[] = [];
  const phones: PeerRecord[] = [];
  for (const row of rows) {
    const after = recordOf(row);
    const before = ctx.after.get(after.id) ?? null;
    // A row another transaction inserted after our lock: its before is unknown, so run the transaction again.
    if (!row.inserted && before === null)
      throw new RetryTransaction(`peer ${after.id} appeared concurrently`);
    ctx.wrote([after]);
    ctx.passed.set(after.id, latest.get(after.id) as PeerRecord);
    if (before === null ? after.usernames.length > 0 : !sameList(before.usernames, after.usernames))
      renamed.push({ peerId: after.id, usernames: after.usernames, at: after.lastSeen });
    if (after.phone !== null && before?.phone !== after.phone) phones.push(after);
  }
  if (renamed.length > 0) await syncUsernames(scope, st, renamed);
  if (phones.length > 0) await takePhones(scope, st, phones);
}

/**
 * Makes each peer own exactly the given usernames in the index, and takes each name away from the row of
 * whoever held it (read back from the claiming statement, so a concurrent claim cannot slip in between).
 */
export async function syncUsernames(
  scope: Scope,
  st: PeerStatements,
  entries: readonly { peerId: bigint; usernames: readonly string[]; at: number }[],
): Promise<void> {
  const { sql, ctx } = scope;
  // Within one call the last peer wanting a name gets it; earlier ones lose it like any other holder.
  const claims = new Map<string, { username: string; peerId: bigint; position: number; at: number }>();
  const losers = new Map<bigint, { names: Set<string>; at: number }>();
  for (const { peerId, usernames, at } of entries) {
    usernames.forEach((username, position) => {
      const name = username.toLowerCase();
      const earlier = claims.get(name);
      if (earlier && earlier.peerId !== peerId) {
        const l = losers.get(earlier.peerId) ?? { names: new Set<string>(), at };
        l.names.add(name);
        losers.set(earlier.peerId, l);
      }
      claims.delete(name); // re-inserted last, so the claim order follows the entries
      claims.set(name, { username, peerId, position, at });
    });
  }
  const peerIds = [...new Set(entries.map((e) => e.peerId))];
  const freed = await sql.query<{ name: string }>(st.freeNames, [peerIds, [...claims.keys()]]);
  for (const { name } of freed.rows) ctx.names.add(name);
  for (const id of peerIds) ctx.synced.add(id);
  if (claims.size === 0) return;
  // Claimed in name order, so two transactions claiming the same names wait for each other instead of deadlocking.
  const list = [...claims.values()].sort((a, b) =>
    a.username.toLowerCase() < b.username.toLowerCase() ? -1 : 1,
  );
  const claimed = await sql.query<{ name: string; displaced: bigint | null }>(st.claimNames, [
    list.map((c) => c.username),
    list.map((c) => c.peerId),
    list.map((c) => c.position),
  ]);
  for (const { name, displaced } of claimed.rows) {
    if (displaced === null) continue;
    ctx.names.add(name);
    const l = losers.get(displaced) ?? { names: new Set<string>(), at: claims.get(name)?.at ?? 0 };
    l.names.add(name);
    losers.set(displaced, l);
  }
  if (losers.size === 0) return;
  const victims = [...losers.keys()].sort(byId);
  await advisoryLock(scope, st, victims);
  await lock(scope, st, victims);
  const { rows } = await sql.query<PeerRow>(st.dropNames, [
    victims,
    victims.map((id) => joinNames([...(losers.get(id)?.names ?? [])])),
    victims.map((id) => losers.get(id)?.at ?? st.driver.now()),
  ]);
  ctx.wrote(rows.map(recordOf));
}

/** Takes each phone a row gained away from any other row that holds it. */
async function takePhones(scope: Scope, st: PeerStatements, claimers: readonly PeerRecord[]): Promise<void> {
  const { sql, ctx } = scope;
  const claimerIds = claimers.map((r) => r.id);
  const holders = await sql.query<PeerRow>(st.lockPhoneHolders, [claimers.map((r) => r.phone), claimerIds]);
  if (holders.rows.length === 0) return;
  const held = holders.rows.map(recordOf);
  await advisoryLock(
    scope,
    st,
    held.map((r) => r.id),
  );
  ctx.locked(
    held.map((r) => r.id),
    held,
  );
  const at = Math.max(...claimers.map((r) => r.lastSeen));
  const { rows } = await sql.query<PeerRow>(st.clearPhones, [held.map((r) => r.id), at]);
  ctx.wrote(rows.map(recordOf));
}

/** Deletes peers and their username index rows. */
export async function deletePeers(scope: Scope, st: PeerStatements, ids: readonly bigint[]): Promise<void> {
  if (ids.length === 0) return;
  const sorted = [...new Set(ids)].sort(byId);
  await advisoryLock(scope, st, sorted);
  const { rows } = await scope.sql.query<PeerRow>(st.delete, [sorted]);
  const names = await scope.sql.query<{ name: string }>(st.deleteNames, [sorted]);
  for (const { name } of names.rows) scope.ctx.names.add(name);
  scope.ctx.deleted(rows.map(recordOf), sorted);
}
