/**
 * The in-memory provider: for tests and for bots that need no persistence. Transactions are atomic through an
 * undo journal.
 */
import { StorageError } from '../../errors.js';
import { TxGate } from '../tx-gate.js';
import type { StorageProvider, StorageRepositories } from '../types.js';
import { MemoryBroadcastRepository } from './broadcasts.js';
import {
  emptyTables,
  MemoryContext,
  MemoryDialogRepository,
  MemoryHistoryRepository,
  MemoryKeyValueRepository,
  MemoryPeerRepository,
  MemoryUsernameRepository,
} from './repositories.js';

function repositories(ctx: MemoryContext, inTx: boolean): StorageRepositories {
  return {
    peers: new MemoryPeerRepository(ctx, inTx),
    usernames: new MemoryUsernameRepository(ctx, inTx),
    history: new MemoryHistoryRepository(ctx, inTx),
    state: new MemoryKeyValueRepository(ctx, inTx),
    dialogs: new MemoryDialogRepository(ctx, inTx),
  };
}

export class MemoryStorageProvider implements StorageProvider {
  readonly name = 'memory';
  readonly persistent = false;
  readonly shared = false;
  readonly peers;
  readonly usernames;
  readonly history;
  readonly state;
  readonly dialogs;
  readonly broadcasts: MemoryBroadcastRepository;
  readonly #ctx = new MemoryContext(emptyTables(), new TxGate());
  readonly #tx = repositories(this.#ctx, true);

  constructor() {
    const outside = repositories(this.#ctx, false);
    this.peers = outside.peers;
    this.usernames = outside.usernames;
    this.history = outside.history;
    this.state = outside.state;
    this.dialogs = outside.dialogs;
    this.broadcasts = new MemoryBroadcastRepository(() => {
      this.#ctx.assertOpen();
    });
  }

  transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T> {
    const ctx = this.#ctx;
    return ctx.gate.exclusive(async () => {
      if (ctx.closed) throw new StorageError('STORAGE_CLOSED', 'The memory storage was closed');
      ctx.journal = [];
      ctx.tables.rows.begin();
      try {
        const result = await fn(this.#tx);
        ctx.tables.rows.commit();
        return result;
      } catch (error) {
        for (const undo of ctx.journal.reverse()) undo();
        ctx.tables.rows.rollback();
        ctx.tables.sortedDialogIds = null;
        throw error;
      } finally {
        ctx.journal = null;
      }
    });
  }

  async close(): Promise<void> {
    this.#ctx.closed = true;
  }
}

/** A fresh, empty in-memory store. */
export function createMemoryStorage(): MemoryStorageProvider {
  return new MemoryStorageProvider();
}
