/** The world's options and inputs, and what it delivers to its listeners. */
import type { Clock } from './clock.js';
import type { FloodOptions } from './flood.js';
import type { ChannelRecord, LogEntry, MessageRecord, UserMention, UserRecord } from './types.js';

/** How `updates.getDifference` behaves. */
export interface DifferenceOptions {
  /** Entries per `updates.differenceSlice`. @default 100 */
  sliceSize?: number;
  /** A client more than this many pts behind gets `updates.differenceTooLong`. @default 10000 */
  tooLongAfter?: number;
  /** Entries kept per bot; older ones are gone and a client that needs them gets TooLong. @default 20000 */
  logLimit?: number;
}

export interface WorldOptions {
  clock: Clock;
  /** Sending limits, or `false` for none. */
  flood?: FloodOptions | false;
  difference?: DifferenceOptions;
  /**
   * How long (Telegram-seconds) a join request lets the bot write to a user who never started it, as the Bot
   * API documents for `ChatJoinRequest.user_chat_id`. @default 300
   */
  joinRequestWindowSeconds?: number;
}

/** Something to push live to a bot's sessions. */
export type Delivery =
  | { readonly type: 'entry'; readonly entry: LogEntry }
  | {
      readonly type: 'channel';
      readonly channel: ChannelRecord;
      readonly message: MessageRecord;
      readonly pts: number;
      readonly users: UserMention[];
    };

export type DeliveryListener = (bot: UserRecord, delivery: Delivery, excludeAuthKey?: string) => void;

export interface CreateUserInput {
  firstName: string;
  lastName?: string;
  username?: string;
  langCode?: string;
  bot?: boolean;
  premium?: boolean;
  phone?: string;
}

export interface CreateBotInput {
  username?: string;
  firstName?: string;
}

/** The ids handed out so far, persisted so a restarted world never reuses one. */
export interface IdCounters {
  user: number;
  bot: number;
  group: number;
  channel: number;
}
