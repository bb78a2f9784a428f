/**
 * The synthetic users every peer store ingests: the same ids, hashes and names for every subject and every run.
 * Ids arrive out of order (a fixed permutation), as from Telegram; usernames are stored lower-case because
 * GramJS and Telethon lower-case them on the way in, and every subject is queried with the same lower-case name.
 */
import { seededRandom } from '../lib/measure.js';

export interface Sighting {
  readonly id: bigint;
  readonly accessHash: bigint;
  readonly firstName: string;
  readonly lastName: string;
  readonly username: string;
  readonly langCode: string;
}

/** Realistic user ids (Telegram's are 10-digit today); below 2^53 so mtcute's number ids hold them. */
const ID_BASE = 5_000_000_000n;
const STEP = 7_368_787; // prime and not 2 or 5, so coprime with every size benchmarked (10^k)

/** The id of the `i`-th user ingested (0 ≤ i < n): a permutation of ID_BASE+1 .. ID_BASE+n. */
export function idAt(i: number, n: number): bigint {
  return ID_BASE + BigInt(((i * STEP) % n) + 1);
}

export function usernameOf(id: bigint): string {
  return `user_${id}`;
}

/** A stable pseudo-random signed 64-bit access hash per id. */
function hashOf(id: bigint): bigint {
  const h = (id * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  return h >= 0x8000000000000000n ? h - 0x10000000000000000n : h;
}

const LANGS = ['en', 'ru', 'es', 'pt-br', 'de', 'it', 'fa', 'id', 'tr', 'uk'] as const;

export function sightingOf(id: bigint): Sighting {
  return {
    id,
    accessHash: hashOf(id),
    firstName: `First${id % 100_000n}`,
    lastName: 'Last',
    username: usernameOf(id),
    langCode: LANGS[Number(id % BigInt(LANGS.length))] as string,
  };
}

export function batchAt(from: number, to: number, n: number): Sighting[] {
  const out: Sighting[] = [];
  for (let i = from; i < to; i++) out.push(sightingOf(idAt(i, n)));
  return out;
}

/** `count` ids picked with a fixed seed: from the first `within` ingested (hot set) or from all n (cold). */
export function pickIds(count: number, within: number, n: number, seed: number): bigint[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, () => idAt(Math.floor(rnd() * within), n));
}
