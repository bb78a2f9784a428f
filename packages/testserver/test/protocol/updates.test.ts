import bigInt from 'big-integer';
import { Api } from 'telegram';
import { describe, expect, it } from 'vitest';
import { useFixture } from './fixture.js';
import { waitFor } from './helpers.js';

const fx = useFixture();

function statusUpdate(userId: number): Api.UpdateShort {
  return new Api.UpdateShort({
    update: new Api.UpdateUserStatus({
      userId: bigInt(userId),
      status: new Api.UserStatusOnline({ expires: 1 }),
    }),
    date: Math.floor(Date.now() / 1000),
  });
}

describe('updates pushed through the gateway', () => {
  it('reach a GramJS event handler (Raw) of the client on that auth key', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    await client.start({ botAuthToken: '1:test' }); // GramJS drops updates while getMe fails
    const seen: Api.UpdateUserStatus[] = [];
    client.addEventHandler((update: unknown) => {
      if (update instanceof Api.UpdateUserStatus) seen.push(update);
    });
    const authKeyId = Object.keys(gw.exportAuthKeys())[0]!;
    expect(gw.pushToAuthKey(authKeyId, statusUpdate(42))).toBe(1);
    await waitFor(() => seen.length === 1);
    expect(seen[0]!.userId.toString()).toBe('42');
    expect(gw.counters.updatesPushed).toBe(1);
  });

  it('sends a large Updates gzip_packed and GramJS unpacks it', async () => {
    const { gw } = await fx.gateway();
    const client = await fx.client(gw);
    await client.start({ botAuthToken: '1:test' }); // GramJS drops updates while getMe fails
    await client.getMe(); // or GramJS calls getMe for every update it dispatches
    const seen: unknown[] = [];
    client.addEventHandler((update: unknown) => {
      if (update instanceof Api.UpdateUserStatus) seen.push(update);
    });
    const updates = new Api.Updates({
      updates: Array.from(
        { length: 300 },
        (_, i) =>
          new Api.UpdateUserStatus({
            userId: bigInt(i + 1),
            status: new Api.UserStatusOffline({ wasOnline: 1 }),
          }),
      ),
      users: [],
      chats: [],
      date: Math.floor(Date.now() / 1000),
      seq: 0,
    });
    const before = gw.counters.bytesOut;
    gw.pushToAuthKey(Object.keys(gw.exportAuthKeys())[0]!, updates);
    await waitFor(() => seen.length === 300);
    expect(gw.counters.bytesOut - before).toBeLessThan(updates.getBytes().length / 2);
  });

  it('reaches only sessions on that auth key', async () => {
    const { gw } = await fx.gateway();
    const first = await fx.client(gw);
    const second = await fx.client(gw);
    await first.start({ botAuthToken: '1:test' });
    await second.start({ botAuthToken: '1:test' });
    const seen: string[] = [];
    first.addEventHandler((u: unknown) => {
      if (u instanceof Api.UpdateUserStatus) seen.push('first');
    });
    second.addEventHandler((u: unknown) => {
      if (u instanceof Api.UpdateUserStatus) seen.push('second');
    });
    const [firstKey] = Object.keys(gw.exportAuthKeys());
    expect(gw.pushToAuthKey(firstKey!, statusUpdate(1))).toBe(1);
    expect(gw.pushToAuthKey('12345', statusUpdate(1))).toBe(0);
    await waitFor(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(1);
  });
});
