/**
 * Updates in the project's own types. `gram/updates.ts` maps GramJS's TL objects to these; everything above
 * `gram/` sees only what is here.
 */

/** pts/qts/seq/date as Telegram numbers them for one account ("common" box; bots have no channel boxes here). */
export interface UpdateState {
  readonly pts: number;
  readonly qts: number;
  readonly seq: number;
  readonly date: number;
}

/** One update a bot cares about. Ids are bigint; chat ids are marked peer ids (-id chats, -100… channels). */
export type BotUpdate =
  | {
      readonly type: 'message';
      readonly messageId: number;
      readonly date: number;
      /** The sender (the bot itself when `out`). */
      readonly fromId: bigint | undefined;
      /** The private peer user id, or the marked chat id for groups and channels. */
      readonly chatId: bigint;
      readonly isPrivate: boolean;
      readonly out: boolean;
      readonly text: string;
    }
  | {
      /** messageActionBotAllowed: the user allowed the bot to message them (Login Widget, web app, ...). */
      readonly type: 'botAllowed';
      readonly messageId: number;
      readonly date: number;
      readonly userId: bigint;
      readonly domain?: string;
      readonly fromRequest?: boolean;
      readonly attachMenu?: boolean;
    }
  | { readonly type: 'botStopped'; readonly userId: bigint; readonly stopped: boolean; readonly date: number }
  | {
      /** updateBotChatInviteRequester: a user asked to join a chat the bot administers. */
      readonly type: 'joinRequest';
      readonly userId: bigint;
      readonly chatId: bigint;
      readonly date: number;
      readonly about?: string;
      readonly inviteLink?: string;
    }
  | {
      /** updateUserName: names and usernames changed; no full user object travels with it. */
      readonly type: 'userName';
      readonly userId: bigint;
      readonly firstName?: string;
      readonly lastName?: string;
      readonly usernames: readonly string[];
    }
  | {
      /** updateBotCallbackQuery: a user pressed a callback button under one of the bot's messages. */
      readonly type: 'callbackQuery';
      readonly queryId: bigint;
      readonly userId: bigint;
      /** The private peer user id, or the marked chat id. */
      readonly chatId: bigint;
      readonly messageId: number;
      /** The button's data (undefined for a game button). */
      readonly data: Uint8Array | undefined;
      readonly chatInstance: bigint;
    }
  | { readonly type: 'userPhone'; readonly userId: bigint; readonly phone?: string }
  | { readonly type: 'userChanged'; readonly userId: bigint }
  | { readonly type: 'other'; readonly name: string };

/** How an update is sequenced: by pts (message box), qts (bot/secret box), or not at all. */
export type Sequencing =
  | { readonly box: 'pts'; readonly pts: number; readonly ptsCount: number }
  | { readonly box: 'qts'; readonly qts: number }
  | { readonly box: 'none' };

export interface SequencedUpdate {
  readonly update: BotUpdate;
  readonly seq: Sequencing;
}

/** One container as it arrives from the server (Updates, UpdatesCombined, UpdateShort…), mapped. */
export type IncomingUpdates =
  | {
      readonly kind: 'updates';
      readonly updates: readonly SequencedUpdate[];
      /** seq/seqStart of the container; 0 means unsequenced. */
      readonly seq: number;
      readonly seqStart: number;
      readonly date: number;
    }
  /** updatesTooLong: too much happened; fetch the difference. */
  | { readonly kind: 'tooLong' }
  /** The connection went up or down (GramJS's UpdateConnectionState). */
  | { readonly kind: 'connection'; readonly state: 'connected' | 'disconnected' | 'broken' };

/** What updates.getDifference answered, mapped. */
export type Difference =
  | { readonly kind: 'empty'; readonly date: number; readonly seq: number }
  | {
      readonly kind: 'difference' | 'slice';
      readonly updates: readonly SequencedUpdate[];
      /** The new state (the intermediate state for a slice). */
      readonly state: UpdateState;
    }
  | { readonly kind: 'tooLong'; readonly pts: number };
