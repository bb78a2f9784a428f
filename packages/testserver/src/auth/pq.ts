import { randomInt } from 'node:crypto';

/** The pq challenge of resPQ: a product of two distinct primes p < q, each just under 2^31 (pq < 2^62). */
export interface PqChallenge {
  readonly p: bigint;
  readonly q: bigint;
  readonly pq: bigint;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function randomPrime(min: number, max: number): number {
  for (;;) {
    const candidate = randomInt(min, max) | 1;
    if (isPrime(candidate)) return candidate;
  }
}

/** A fresh pq like Telegram's: the client must factor it (GramJS does so in a few tens of ms). */
export function generatePq(): PqChallenge {
  const a = randomPrime(2 ** 30, 2 ** 31 - 1);
  let b = randomPrime(2 ** 30, 2 ** 31 - 1);
  while (b === a) b = randomPrime(2 ** 30, 2 ** 31 - 1);
  const p = BigInt(Math.min(a, b));
  const q = BigInt(Math.max(a, b));
  return { p, q, pq: p * q };
}
