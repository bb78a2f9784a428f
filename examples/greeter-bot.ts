/**
 * A greeter: the example bot of the README and the demo. It greets each user who opens a dialog (/start with or
 * without a deep-link payload, a first plain message, a join request, the Login Widget) in their last known
 * language (en, ru, es; anything else falls back to en), welcomes back a repeated /start, answers later messages
 * and reports blocks, unblocks and profile changes to `onEvent`.
 *
 *   const client = await PmClient.connect({ apiId, apiHash, session: 'bot.session', storage: 'sqlite:bot.db' });
 *   const greeter = createGreeterBot(client, { onEvent: (e) => console.log(e.kind, e.user.id) });
 *   await client.start(); // listeners first, then updates
 *   ...
 *   greeter.stop();
 */
import type {
  DialogStartedEvent,
  DialogVia,
  FieldChange,
  MessageEvent,
  PeerRecord,
  PmClient,
  SendResult,
} from '@pm/core';

/** The languages the greeter speaks; the first is the fallback. */
export const GREETER_LANGUAGES = ['en', 'ru', 'es'] as const;
export type GreeterLanguage = (typeof GREETER_LANGUAGES)[number];

interface Phrases {
  hello(name: string): string;
  again(name: string): string;
  payload(payload: string): string;
  viaMessage: string;
  viaJoinRequest(chat: string): string;
  viaLoginWidget: string;
  echo(text: string): string;
}

const PHRASES: Record<GreeterLanguage, Phrases> = {
  en: {
    hello: (n) => `Hello, ${n}!`,
    again: (n) => `Welcome back, ${n}!`,
    payload: (p) => `You came with the link “${p}”.`,
    viaMessage: 'Thanks for your message.',
    viaJoinRequest: (c) => `I got your request to join ${c}.`,
    viaLoginWidget: 'You logged in on our website with Telegram.',
    echo: (t) => `Got it: “${t}”`,
  },
  ru: {
    hello: (n) => `Привет, ${n}!`,
    again: (n) => `С возвращением, ${n}!`,
    payload: (p) => `Вы пришли по ссылке «${p}».`,
    viaMessage: 'Спасибо за сообщение.',
    viaJoinRequest: (c) => `Я получил вашу заявку в ${c}.`,
    viaLoginWidget: 'Вы вошли на наш сайт через Telegram.',
    echo: (t) => `Получил: «${t}»`,
  },
  es: {
    hello: (n) => `¡Hola, ${n}!`,
    again: (n) => `¡Bienvenido de nuevo, ${n}!`,
    payload: (p) => `Llegaste con el enlace «${p}».`,
    viaMessage: 'Gracias por tu mensaje.',
    viaJoinRequest: (c) => `Recibí tu solicitud para unirte a ${c}.`,
    viaLoginWidget: 'Iniciaste sesión en nuestro sitio con Telegram.',
    echo: (t) => `Recibido: «${t}»`,
  },
};

/** `ru`, `es-MX` → a language the greeter speaks; anything else (or nothing) → `en`. */
export function pickLanguage(langCode: string | null | undefined): GreeterLanguage {
  const base = (langCode ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return (GREETER_LANGUAGES as readonly string[]).includes(base) ? (base as GreeterLanguage) : 'en';
}

export interface GreetingInput {
  readonly language: string | null | undefined;
  readonly name: string;
  readonly via: DialogVia;
  /** False for a repeated /start. */
  readonly first: boolean;
  readonly payload?: string | undefined;
  /** The chat of a join request. */
  readonly chat?: string | undefined;
}

/** The greeting text, in the user's language. Pure, so tests and the demo can check it. */
export function greetingFor(input: GreetingInput): string {
  const p = PHRASES[pickLanguage(input.language)];
  const parts = [input.first ? p.hello(input.name) : p.again(input.name)];
  if (input.via === 'message') parts.push(p.viaMessage);
  if (input.via === 'joinRequest') parts.push(p.viaJoinRequest(input.chat ?? '?'));
  if (input.via === 'loginWidget') parts.push(p.viaLoginWidget);
  if (input.payload) parts.push(p.payload(input.payload));
  return parts.join(' ');
}

/** The answer to a later message, in the user's language. */
export function echoFor(language: string | null | undefined, text: string): string {
  return PHRASES[pickLanguage(language)].echo(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** What the greeter did or saw, for logs and narratives. `reply` is the send result of the bot's answer. */
export type GreeterEvent =
  | {
      readonly kind: 'greeted';
      readonly user: PeerRecord;
      readonly via: DialogVia;
      readonly first: boolean;
      readonly payload: string | undefined;
      /** The last known lang_code (null: never seen) and the language the greeting used. */
      readonly langCode: string | null;
      readonly language: GreeterLanguage;
      readonly chat: string | undefined;
      readonly text: string;
      readonly reply: SendResult;
    }
  | {
      readonly kind: 'answered';
      readonly user: PeerRecord;
      readonly message: string;
      readonly langCode: string | null;
      readonly language: GreeterLanguage;
      readonly text: string;
      readonly reply: SendResult;
    }
  | { readonly kind: 'blocked' | 'unblocked'; readonly user: PeerRecord }
  | {
      readonly kind: 'profileChanged';
      readonly user: PeerRecord;
      readonly before: PeerRecord;
      readonly changes: readonly FieldChange[];
    }
  | { readonly kind: 'error'; readonly where: string; readonly error: unknown };

export interface GreeterOptions {
  /** Told about everything the greeter does; awaited, so events arrive in order. */
  readonly onEvent?: (event: GreeterEvent) => void | Promise<void>;
}

export interface GreeterBot {
  /** Removes the greeter's listeners (the client stays connected). */
  stop(): void;
}

function firstName(user: PeerRecord): string {
  return user.firstName ?? user.usernames[0] ?? 'friend';
}

/** Registers the greeter's listeners on `client`. Call it before `client.start()`. */
export function createGreeterBot(client: PmClient, options: GreeterOptions = {}): GreeterBot {
  const tell = async (e: GreeterEvent) => {
    await options.onEvent?.(e);
  };
  // A first plain message opens the dialog (dialogStarted via 'message') and is also a message event:
  // it is greeted once, not greeted and echoed.
  const greetedMessages = new Set<string>();
  const key = (user: bigint, messageId: number) => `${user}:${messageId}`;

  const onStarted = async (e: DialogStartedEvent) => {
    if (e.via === 'message' && e.messageId !== undefined) greetedMessages.add(key(e.user.id, e.messageId));
    const chat = e.chat ? (e.chat.record?.title ?? String(e.chat.id)) : undefined;
    const text = greetingFor({
      language: e.language,
      name: firstName(e.user),
      via: e.via,
      first: e.first,
      payload: e.payload,
      chat,
    });
    const reply = await client.send(e.user.id, text);
    await tell({
      kind: 'greeted',
      user: e.user,
      via: e.via,
      first: e.first,
      payload: e.payload,
      langCode: e.language,
      language: pickLanguage(e.language),
      chat,
      text,
      reply,
    });
  };

  const onMessage = async (e: MessageEvent) => {
    if (e.isStart || greetedMessages.delete(key(e.user.id, e.messageId))) return;
    const text = echoFor(e.language, e.text);
    const reply = await client.send(e.user.id, { text, replyTo: e.messageId });
    await tell({
      kind: 'answered',
      user: e.user,
      message: e.text,
      langCode: e.language,
      language: pickLanguage(e.language),
      text,
      reply,
    });
  };

  const offs = [
    client.on('dialogStarted', onStarted),
    client.on('message', onMessage),
    client.on('blocked', (e) => tell({ kind: 'blocked', user: e.user })),
    client.on('unblocked', (e) => tell({ kind: 'unblocked', user: e.user })),
    client.on('profileChanged', (e) => {
      if (e.user.type !== 'user') return;
      return tell({ kind: 'profileChanged', user: e.user, before: e.before, changes: e.changes });
    }),
    client.on('error', (e) => tell({ kind: 'error', where: e.where, error: e.error })),
  ];
  return {
    stop: () => {
      for (const off of offs) off();
    },
  };
}

/**
 * `npx tsx examples/greeter-bot.ts`: runs the greeter on the session `pnpm bot-login` wrote (PM_SESSION, default
 * bot.session; the api id and hash come from it) and the storage PM_STORAGE (default sqlite:bot.db), printing one
 * line per event until Ctrl+C. PM_SERVER=host:port points it at a `pm testserver` instead of Telegram.
 */
async function main(): Promise<number> {
  const { PmClient, readSessionFile, SessionFileError } = await import('@pm/core');
  const { narrate } = await import('./narrate.js');
  const sessionPath = process.env.PM_SESSION ?? 'bot.session';
  const server = process.env.PM_SERVER ? parseServer(process.env.PM_SERVER) : undefined;
  if (server) (await import('@pm/testserver')).registerTestServerKey();
  let session: Awaited<ReturnType<typeof readSessionFile>>;
  try {
    session = await readSessionFile(sessionPath);
  } catch (e) {
    if (!(e instanceof SessionFileError)) throw e;
    console.error(
      `greeter-bot: ${e.message}\n(pnpm demo runs this bot against the loopback Telegram, no login needed)`,
    );
    return 2;
  }
  const client = await PmClient.connect({
    apiId: session.apiId,
    apiHash: session.apiHash,
    session: sessionPath,
    storage: process.env.PM_STORAGE ?? 'sqlite:bot.db',
    server,
  });
  createGreeterBot(client, { onEvent: (e) => console.log(narrate(e)) });
  await client.start();
  console.log(`greeter-bot: @${client.me.username} is greeting; Ctrl+C stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await client.disconnect();
  return 0;
}

function parseServer(value: string): { host: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (!m) throw new Error(`PM_SERVER: expected host:port, got "${value}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main();
}
