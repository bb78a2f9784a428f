import type { DialogRepository, DialogState } from '../storage/types.js';
import { type DialogInfo, toDialogInfo } from './dialog-service.js';

/** Which dialogs to list: only started (or not), only blocked (or not); both left out: all. */
export interface DialogFilter {
  readonly started?: boolean;
  readonly blocked?: boolean;
}

/** Every stored dialog state, ascending by user id, a page at a time. */
export async function* iterateDialogStates(repo: DialogRepository): AsyncIterable<DialogState> {
  let after: bigint | null = null;
  for (;;) {
    const page: DialogState[] = await repo.page(after, 500);
    if (page.length === 0) return;
    yield* page;
    after = page[page.length - 1]!.userId;
  }
}

/** Every dialog that passes `filter`, ascending by user id; `before` runs first (writing what is not yet stored). */
export async function* iterateDialogs(
  repo: DialogRepository,
  filter: DialogFilter = {},
  before?: () => Promise<void>,
): AsyncIterable<DialogInfo> {
  await before?.();
  for await (const s of iterateDialogStates(repo)) {
    const d = toDialogInfo(s);
    if (filter.started !== undefined && d.started !== filter.started) continue;
    if (filter.blocked !== undefined && d.blocked !== filter.blocked) continue;
    yield d;
  }
}

/** Counts of dialogs: all known, started, blocked. */
export async function countDialogs(
  repo: DialogRepository,
): Promise<{ total: number; started: number; blocked: number }> {
  let total = 0;
  let started = 0;
  let blocked = 0;
  for await (const d of iterateDialogs(repo)) {
    total++;
    if (d.started) started++;
    if (d.blocked) blocked++;
  }
  return { total, started, blocked };
}
