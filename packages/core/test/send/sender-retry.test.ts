/**
 * The sender's retries, through its injected parts (the connection is scripted; the limiter is the real one on a
 * virtual clock): a network failure is sent again with the same random_id after a growing wait, a flood wait is
 * sat out without using up the network retries, and nothing else is retried.
 */
import { describe, expect, it } from 'vitest';
import type { DialogService } from '../../src/dialogs/dialog-service.js';
import { ConnectionLostError, NetworkError, PmError } from '../../src/errors.js';
import { FloodWaitError } from '../../src/rpc-errors.js';
import { RateLimiter } from '../../src/send/limiter.js';
import { SEND_DEFAULTS, Sender } from '../../src/send/sender.js';
import type { PeerCache } from '../../src/storage/peer-cache.js';
import type { PeerRecord } from '../../src/storage/types.js';

const PEER_ID = 5n;
const METHOD = 'messages.SendMessage';

/** One scripted answer per try: an error to throw, or 'ok'. */
function harness(script: (Error | 'ok')[], waitReady: () => Promise<void> = async () => {}) {
  let now = 1_000_000;
  const randomIds: bigint[] = [];
  const senderSleeps: number[] = [];
  const limiter = new RateLimiter({}, { now: () => now }, async (ms) => {
    now += ms;
  });
  const sender = new Sender({
    peers: {
      inputPeerFor: async () => ({ kind: 'user', id: PEER_ID, accessHash: 1n, min: false }),
      upsert: async () => {},
    } as unknown as PeerCache,
    dialogs: { noteReachability: async () => {} } as unknown as DialogService,
    limiter,
    clock: { now: () => now },
    sleep: async (ms) => {
      senderSleeps.push(ms);
      now += ms;
    },
    maxFloodWaitSeconds: 60,
    waitReady,
    resolvePeer: async () => {
      throw new Error('not used');
    },
    format: (text) => ({ text, entities: [] }),
    sendMessage: async (_peer, _text, randomId) => {
      randomIds.push(randomId);
      const next = script.shift();
      if (next === undefined) throw new Error('script exhausted');
      if (next !== 'ok') throw next;
      return { messageId: 77, date: 1, incoming: undefined };
    },
    onSent: () => {},
  });
  const peer = { id: PEER_ID, type: 'user', deleted: false } as PeerRecord;
  const send = () => sender.sendTo(peer, { text: 'hi', entities: [] }, { text: 'hi', randomId: 99n });
  return { send, randomIds, senderSleeps, limiter };
}

const dropped = () => new NetworkError(METHOD, 'socket closed');

describe('Sender retries', () => {
  it('sends again after network errors with the same random_id, waiting longer each time', async () => {
    const h = harness([dropped(), dropped(), 'ok']);
    expect(await h.send()).toEqual({ ok: true, messageId: 77, date: 1, peerId: PEER_ID });
    expect(h.randomIds).toEqual([99n, 99n, 99n]);
    expect(h.senderSleeps).toEqual([250, 500]);
  });

  it(`gives up after ${SEND_DEFAULTS.networkRetries} network retries and answers failed with the error`, async () => {
    const last = dropped();
    const h = harness([dropped(), dropped(), dropped(), last]);
    expect(await h.send()).toEqual({ ok: false, reason: 'failed', peerId: PEER_ID, error: last });
    expect(h.randomIds).toEqual([99n, 99n, 99n, 99n]);
    expect(h.senderSleeps).toEqual([250, 500, 1000]);
  });

  it('sits out a flood wait without spending a network retry', async () => {
    const h = harness([dropped(), new FloodWaitError(METHOD, 3, false), dropped(), dropped(), 'ok']);
    expect(await h.send()).toMatchObject({ ok: true, messageId: 77 });
    expect(h.randomIds).toHaveLength(5);
    expect(h.senderSleeps).toEqual([250, 500, 1000]);
    expect(h.limiter.stats.pauses).toBe(1);
  });

  it('answers floodWait at once when the wait is beyond the maximum', async () => {
    const h = harness([new FloodWaitError(METHOD, 61, false)]);
    expect(await h.send()).toEqual({ ok: false, reason: 'floodWait', retryAfter: 61, peerId: PEER_ID });
    expect(h.randomIds).toHaveLength(1);
  });

  it('does not retry a connection lost past its deadline: gives the token back and answers network', async () => {
    const lost = new ConnectionLostError(METHOD, 'timeout', 5000, 'no answer within 5000 ms');
    const h = harness([lost]);
    expect(await h.send()).toEqual({ ok: false, reason: 'network', peerId: PEER_ID, error: lost });
    expect(h.randomIds).toHaveLength(1);
    expect(h.senderSleeps).toEqual([]);
    expect(h.limiter.stats.refunded).toBe(1);
  });

  it('throws what the wait for a connection throws, other than a lost connection, without sending', async () => {
    const broken = new PmError('NOT_LOGGED_IN', 'not logged in');
    const h = harness(['ok'], async () => {
      throw broken;
    });
    await expect(h.send()).rejects.toBe(broken);
    expect(h.randomIds).toEqual([]);
  });
});
