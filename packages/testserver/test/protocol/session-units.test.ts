import { describe, expect, it } from 'vitest';
import { checkClientMsgId, msgIdSeconds, ServerMsgIds } from '../../src/session/msg-id.js';
import { MtSession } from '../../src/session/mt-session.js';
import { rpcErrorFrom, unwrapRequest } from '../../src/session/rpc.js';
import { SaltBook } from '../../src/session/salts.js';
import { Api, bigInt } from '../../src/tl.js';

describe('server msg_ids', () => {
  it('are time-based, strictly increasing, 1 mod 4 for responses and 3 mod 4 otherwise', () => {
    let now = 1_700_000_000_123;
    const ids = new ServerMsgIds(() => now);
    const a = ids.next('response');
    const b = ids.next('server');
    now -= 5000; // the clock going back must not make ids go back
    const c = ids.next('response');
    expect(a % 4n).toBe(1n);
    expect(b % 4n).toBe(3n);
    expect(b > a && c > b).toBe(true);
    expect(msgIdSeconds(a)).toBe(1_700_000_000);
  });

  it('refuse client msg_ids with bad parity or outside [-300 s, +30 s]', () => {
    const now = 1_700_000_000_000;
    const at = (s: number) => BigInt(s) << 32n;
    expect(checkClientMsgId(at(1_700_000_000), now)).toBeUndefined();
    expect(checkClientMsgId(at(1_700_000_000) + 2n, now)).toBe(18);
    expect(checkClientMsgId(at(1_700_000_000 - 301), now)).toBe(16);
    expect(checkClientMsgId(at(1_700_000_000 + 31), now)).toBe(17);
  });
});

describe('server salts', () => {
  it('stay valid one period after they are replaced, and differ per auth key', () => {
    let now = 1_700_000_000_000;
    const salts = new SaltBook(Buffer.alloc(32, 1), () => now, 1800);
    const first = salts.current('1');
    expect(salts.current('2')).not.toBe(first);
    now += 1800_000;
    expect(salts.current('1')).not.toBe(first);
    expect(salts.isValid('1', first)).toBe(true);
    now += 1800_000;
    expect(salts.isValid('1', first)).toBe(false);
    const future = salts.future('1', 3);
    expect(future[0]!.salt).toBe(salts.current('1'));
    expect(future).toHaveLength(3);
  });
});

describe('session seqno rules', () => {
  it('flags a lower seqno after a higher one (32) and a higher one before a lower one (33)', () => {
    const s = new MtSession('1', 1n, 1n);
    s.remember(100n, 5);
    expect(s.checkSeqNo(104n, 7, true)).toBeUndefined();
    expect(s.checkSeqNo(104n, 3, true)).toBe(32);
    expect(s.checkSeqNo(96n, 7, true)).toBe(33);
    expect(s.checkSeqNo(104n, 5, true)).toBe(32); // equal and odd
    expect(s.checkSeqNo(104n, 6, false)).toBeUndefined();
    expect(s.checkSeqNo(104n, 6, true)).toBe(35);
    expect(s.checkSeqNo(104n, 7, false)).toBe(34);
  });
});

describe('request unwrapping', () => {
  it('peels invokeWithLayer, initConnection, invokeAfterMsgs and invokeWithoutUpdates in any nesting', () => {
    const query = new Api.help.GetConfig();
    const wrapped = new Api.InvokeAfterMsgs({
      msgIds: [bigInt(8), bigInt(12)],
      query: new Api.InvokeWithLayer({
        layer: 198,
        query: new Api.InitConnection({
          apiId: 5,
          deviceModel: 'd',
          systemVersion: 's',
          appVersion: 'a',
          systemLangCode: 'en',
          langPack: '',
          langCode: 'en',
          query: new Api.InvokeWithoutUpdates({ query }),
        }),
      }),
    });
    const unwrapped = unwrapRequest(wrapped);
    expect(unwrapped.query).toBe(query);
    expect(unwrapped.layer).toBe(198);
    expect(unwrapped.client?.apiId).toBe(5);
    expect(unwrapped.withoutUpdates).toBe(true);
    expect(unwrapped.afterMsgIds).toEqual([8n, 12n]);
  });

  it('recognizes RpcError-shaped throwables only', () => {
    expect(rpcErrorFrom({ code: 420, errorMessage: 'FLOOD_WAIT_3' })).toEqual({
      code: 420,
      message: 'FLOOD_WAIT_3',
    });
    expect(rpcErrorFrom(new Error('x'))).toBeUndefined();
    expect(rpcErrorFrom('x')).toBeUndefined();
  });
});
