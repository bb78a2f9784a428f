/**
 * Sending, against the test server with Telegram's default limits time-scaled (the same `timeScale` on the
 * server and in the client's `limits`), so a Telegram second lasts `TIME_SCALE` real seconds:
 * - broadcast throughput: the sustained rate of one broadcast to users who started the bot, in Telegram
 *   messages per second, as a fraction of the 30/s Telegram allows a bot, and the FLOOD_WAIT answers it earned
 *   (the goal: ≥ 95% and none);
 * - the limiter's own cost per message: `RateLimiter.acquire` with limits so high it never waits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PmClient, RateLimiter } from '@pm/core';
import { registerTestServerKey, TestServer } from '@pm/testserver';
import { figure, timeRounds } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';

const SUITE = 'send';
const API_ID = 12345;
const API_HASH = '0123456789abcdef0123456789abcdef';
/** Telegram's 30 messages/s become 300 real messages/s. */
const TIME_SCALE = 0.1;
const ALLOWED_PER_SECOND = 30;

registerTestServerKey();

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface BroadcastSample {
  /** Telegram messages per second after the initial burst. */
  readonly rate: number;
  readonly floodWaits: number;
  readonly sent: number;
  /** CPU (client and server: one process) per message, µs. */
  readonly cpuUs: number;
}

async function broadcastOnce(recipients: number, storage: 'memory' | 'sqlite'): Promise<BroadcastSample> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-send-bench-'));
  const tg = await TestServer.start({ timeScale: TIME_SCALE });
  const bot = tg.createBot({ username: 'bench_bot' });
  const client = await PmClient.connect({
    apiId: API_ID,
    apiHash: API_HASH,
    server: { host: tg.host, port: tg.port },
    storage: storage === 'memory' ? 'memory' : `sqlite:${join(dir, 'bot.db')}`,
    limits: { timeScale: TIME_SCALE },
  });
  try {
    await client.loginAsBot(bot.token);
    await client.start();
    for (let i = 0; i < recipients; i++) tg.createUser({ firstName: `R${i}` }).start();
    await waitFor(
      async () => (await client.dialogs.counts()).started === recipients,
      60_000,
      `${recipients} users to start the bot`,
    );
    // Let the server's flood buckets refill from the Start answers (none were sent, but be exact).
    await new Promise((r) => setTimeout(r, 1000 * TIME_SCALE * 2));
    tg.resetStats();
    const times: number[] = [];
    const b = client.broadcast({
      id: 'bench',
      text: 'Hello from the benchmark',
      recipients: { dialogs: { started: true, blocked: false } },
    });
    b.on('sent', () => {
      times.push(performance.now());
    });
    const cpu0 = process.cpuUsage();
    const report = await b.done;
    const cpu = process.cpuUsage(cpu0);
    // Skip the burst the limiter lets out at once; measure the steady state after it.
    const skip = Math.min(20, Math.floor(times.length / 4));
    const span = ((times.at(-1) as number) - (times[skip] as number)) / 1000;
    const realRate = (times.length - 1 - skip) / span;
    return {
      rate: realRate * TIME_SCALE,
      floodWaits: tg.stats().floodWaits,
      sent: report.sent,
      cpuUs: (cpu.user + cpu.system) / report.sent,
    };
  } finally {
    await client.disconnect();
    await tg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runSendBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const recipients = quick ? 300 : 1500;
  const rounds = quick ? 1 : 3;
  const rows: BenchRow[] = [];
  for (const storage of ['memory', 'sqlite'] as const) {
    const samples: BroadcastSample[] = [];
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(
        `send bench: broadcast to ${recipients} (${storage}), round ${r + 1}/${rounds}…\n`,
      );
      samples.push(await broadcastOnce(recipients, storage));
    }
    const rate = figure(samples.map((s) => s.rate));
    const subject = `pm ${storage}`;
    const allSent = samples.every((s) => s.sent === recipients);
    rows.push({
      suite: SUITE,
      subject,
      name: 'broadcast sustained rate, share of 30/s',
      value: (rate.median / ALLOWED_PER_SECOND) * 100,
      best: (Math.max(...samples.map((s) => s.rate)) / ALLOWED_PER_SECOND) * 100,
      runs: rate.runs,
      unit: '%',
      notes: `${rate.median.toFixed(2)} msg/s (Telegram time) to ${recipients} users, timeScale ${TIME_SCALE}${allSent ? '' : '; NOT ALL SENT'}; target ≥ 95%`,
    });
    rows.push({
      suite: SUITE,
      subject,
      name: 'broadcast FLOOD_WAIT answers',
      value: Math.max(...samples.map((s) => s.floodWaits)),
      runs: samples.length,
      unit: 'count',
      notes: 'the worst round; target 0',
    });
    const cpu = figure(samples.map((s) => s.cpuUs));
    rows.push({
      suite: SUITE,
      subject,
      name: 'broadcast CPU per message',
      value: cpu.median,
      best: cpu.min,
      runs: cpu.runs,
      unit: 'µs',
      notes: 'client and test server together (one process)',
    });
  }

  // The limiter alone: limits it never reaches, so acquire() never sleeps.
  const unlimited = { globalPerSecond: 1e12, globalBurst: 1e12, privatePerSecond: 1e12, privateBurst: 1e12 };
  const ops = quick ? 20_000 : 200_000;
  const rounds2 = quick ? 3 : 7;
  const oneChat = new RateLimiter(unlimited);
  const one = await timeRounds({ rounds: rounds2, ops }, () => oneChat.acquire({ kind: 'private', id: 42n }));
  const manyChats = new RateLimiter(unlimited);
  const many = await timeRounds({ rounds: rounds2, ops }, (i) =>
    manyChats.acquire({ kind: 'private', id: BigInt(5_000_000_000 + i) }),
  );
  rows.push({
    suite: SUITE,
    subject: 'pm RateLimiter',
    name: 'acquire, no wait, one chat',
    value: one.median / 1000,
    best: one.min / 1000,
    runs: one.runs,
    unit: 'µs/op',
  });
  rows.push({
    suite: SUITE,
    subject: 'pm RateLimiter',
    name: 'acquire, no wait, a new chat each time',
    value: many.median / 1000,
    best: many.min / 1000,
    runs: many.runs,
    unit: 'µs/op',
    notes: 'creates a per-chat bucket (LRU of 100k) per message, as a broadcast does',
  });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runSendBench({ quick: process.argv.includes('--quick') });
  console.table(
    rows.map((r) => ({ subject: r.subject, name: r.name, value: r.value, unit: r.unit, notes: r.notes })),
  );
  process.exit(0);
}
