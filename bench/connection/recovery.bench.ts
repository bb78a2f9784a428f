/**
 * Recovery after an outage, against the test server with pm's default connection options (real time): the time
 * from the server's return to the first update delivered to the bot's handlers (the update happened while the
 * server was away, so it comes through the reconnect and getDifference). Two cases:
 * - the server is away for OUTAGE_MS: includes waiting for the next attempt of the backoff schedule;
 * - the connection drops with the server still up: pm's immediate reconnect, initConnection and getDifference.
 * Median of several runs.
 */
import { PmClient } from '@pm/core';
import { registerTestServerKey, TestServer } from '@pm/testserver';
import { figure } from '../lib/measure.js';
import type { BenchRow } from '../lib/row.js';

const SUITE = 'connection';
const API_ID = 12345;
const API_HASH = '0123456789abcdef0123456789abcdef';
const OUTAGE_MS = 1000;

registerTestServerKey();

export async function runRecoveryBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const runs = quick ? 2 : 7;
  const tg = await TestServer.start({ flood: false });
  const bot = tg.createBot({ username: 'recovery_bot' });
  const client = await PmClient.connect({
    apiId: API_ID,
    apiHash: API_HASH,
    server: { host: tg.host, port: tg.port },
  });
  try {
    await client.loginAsBot(bot.token);
    await client.start();
    const user = tg.createUser({ firstName: 'R' });
    user.start();
    let wake: ((text: string) => void) | undefined;
    client.on('message', (e) => wake?.(e.text));
    const nextMessage = (text: string) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no update "${text}" within 60 s`)), 60_000);
        wake = (t) => {
          if (t !== text) return;
          clearTimeout(timer);
          resolve(performance.now());
        };
      });
    const ready = async () => {
      while (client.connectionState.state !== 'ready') await new Promise((r) => setTimeout(r, 10));
    };

    const afterOutage: number[] = [];
    const afterDrop: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      await ready();
      await tg.goOffline();
      const text = `outage ${i}`;
      const got = nextMessage(text);
      user.send(text);
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await tg.comeBack();
      const back = performance.now();
      const ms = (await got) - back;
      if (i > 0) afterOutage.push(ms); // the first run warms up

      await ready();
      const dropText = `drop ${i}`;
      const dropped = nextMessage(dropText);
      tg.dropAllConnections();
      const cut = performance.now();
      user.send(dropText);
      const dropMs = (await dropped) - cut;
      if (i > 0) afterDrop.push(dropMs);
    }
    const rows: BenchRow[] = [];
    for (const [name, samples, notes] of [
      [
        `server back after ${OUTAGE_MS / 1000} s → first update`,
        afterOutage,
        'default backoff (immediate, then 0.5 s, 1 s, 2 s… with jitter): mostly the wait for the next attempt',
      ],
      [
        'connection dropped, server up → first update',
        afterDrop,
        'immediate reconnect, initConnection, getDifference',
      ],
    ] as const) {
      const f = figure(samples);
      rows.push({
        suite: SUITE,
        name,
        subject: 'pm',
        value: Math.round(f.median),
        best: Math.round(f.min),
        runs: f.runs,
        unit: 'ms',
        notes,
      });
    }
    return rows;
  } finally {
    await client.disconnect();
    await tg.stop();
  }
}
