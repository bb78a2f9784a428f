/** Conformance: dialog starts, persistence across reopen and closing. */
import { describe, expect, it } from 'vitest';
import { DialogService } from '../dialogs/dialog-service.js';
import { StorageError } from '../errors.js';
import { INT64_MAX, INT64_MIN } from '../storage/peer-ids.js';
import type { StorageProvider } from '../storage/types.js';
import type { BotUpdate } from '../updates/types.js';
import { ANN, dialog, expectError, type Suite, sampleRecord, T0, user } from './fixtures.js';

export function describeLifecycle(s: Suite): void {
  const { name, options, open } = s;
  describe('dialog starts', () => {
    it('recognises the replay of a start message after a crash as the same first start', async () => {
      await s.cache.upsert([user(ANN, { firstName: 'Ann' })]);
      const seen: { via: string; first: boolean }[] = [];
      const service = (storage: StorageProvider): DialogService =>
        new DialogService({
          repo: storage.dialogs,
          shared: storage.shared === true,
          clock: { now: () => s.now },
          getPeer: async () => ({ ...sampleRecord(ANN) }),
          emit: async (event, payload) => {
            if (event === 'dialogStarted') {
              const e = payload as { via: string; first: boolean };
              seen.push({ via: e.via, first: e.first });
            }
          },
          botUsername: () => 'conformance_bot',
        });
      const start = (messageId: number, date: number): BotUpdate => ({
        type: 'message',
        messageId,
        date,
        fromId: ANN,
        chatId: ANN,
        isPrivate: true,
        out: false,
        text: '/start ref',
      });
      // The dialog is written (a probe or a listing wrote it ahead of the update state, which was not saved), then
      // the process dies: a new process gets the same update from getDifference.
      const first = service(s.provider);
      await first.handle(start(41, 1000));
      await first.flush();
      if (s.provider.persistent && options.reopen !== undefined) {
        await s.cache.close();
        s.provider = await options.reopen(s.provider);
        s.cache = open(s.provider);
      }
      expect(await s.provider.dialogs.get(ANN)).toMatchObject({ startMessageId: 41, via: 'start' });
      const again = service(s.provider);
      await again.handle(start(41, 1000));
      await again.handle(start(42, 1010)); // a later /start is a repeat
      await again.flush();
      expect(seen).toEqual([
        { via: 'start', first: true },
        { via: 'start', first: true },
        { via: 'start', first: false },
      ]);
      expect(await s.provider.dialogs.get(ANN)).toMatchObject({ startMessageId: 41, startedAt: 1_000_000 });
    });
  });

  describe('persistence', () => {
    it('keeps everything across close and reopen', async (ctx) => {
      if (!s.provider.persistent) ctx.skip(`${name} is not persistent`);
      expect(options.reopen, `${name} is persistent: pass options.reopen to test it`).toBeDefined();
      await s.cache.upsert([
        user(ANN, { firstName: 'Ann', usernames: ['ann_persist'], langCode: 'en', phone: '555555' }),
        user(INT64_MAX, { accessHash: INT64_MIN }),
      ]);
      await s.cache.upsert([user(ANN, { firstName: 'Anna' })]);
      await s.provider.state.set('update_state', '{"pts":1}');
      await s.provider.dialogs.upsertMany([
        dialog(ANN, { startedAt: T0, via: 'start', payload: 'ref', startMessageId: 2_147_483_647 }),
      ]);
      const before = await s.cache.get(ANN);
      await s.cache.close();
      s.provider = await (options.reopen as NonNullable<typeof options.reopen>)(s.provider);
      s.cache = open(s.provider);
      expect(await s.cache.get(ANN)).toEqual(before);
      expect((await s.cache.getByUsername('ANN_PERSIST'))?.id).toBe(ANN);
      expect((await s.cache.getByPhone('555555'))?.id).toBe(ANN);
      expect(await s.cache.inputPeerFor(INT64_MAX)).toMatchObject({ accessHash: INT64_MIN });
      expect(await s.cache.history(ANN)).toHaveLength(1);
      expect(await s.cache.count()).toBe(2);
      expect(await s.provider.state.get('update_state')).toBe('{"pts":1}');
      expect(await s.provider.dialogs.get(ANN)).toMatchObject({
        via: 'start',
        payload: 'ref',
        startMessageId: 2_147_483_647,
      });
    });
  });

  describe('lifecycle', () => {
    it('refuses to work after close', async () => {
      await s.cache.close();
      await expectError(() => s.cache.get(ANN), StorageError, 'closed');
      await expectError(() => s.cache.upsert([user(ANN)]), StorageError, 'closed');
      await expectError(() => s.provider.peers.get(ANN), StorageError, 'closed');
      await expectError(() => s.provider.state.set('k', 'v'), StorageError, 'closed');
      await s.cache.close();
    });
  });
}
