import { inspect } from 'node:util';
import { systemClock } from '../clock.js';
import {
  type ConnectionState,
  deadlineFor,
  resolveConnectionOptions,
  Supervisor,
} from '../connection/index.js';
import { SessionInvalidError } from '../errors.js';
import { RpcCallError } from '../rpc-errors.js';
import { redactSecrets } from '../secrets.js';
import type { SessionData } from '../session/session-file.js';
import type { InputPeerDescriptor } from '../storage/types.js';
import type { Difference, IncomingUpdates, UpdateState } from '../updates/types.js';
import { toGramInputPeer as toInputPeer, toGramInputUser as toInputUser } from './entities.js';
import type { FormattedText } from './format.js';
import { GramLink } from './link.js';
import {
  type GramConnectOptions,
  type GramHooks,
  type ResolvedGramOptions,
  type SelfInfo,
  type ServerAddress,
  TELEGRAM_DC,
} from './options.js';
import {
  type CallbackAnswer,
  callbackAnswerRequest,
  type EditOptions,
  editMessageRequest,
  type SendOptions,
  sendMessageRequest,
} from './requests.js';
import { deletedMessagesIncoming, editDateOf, selfInfo, sentMessageInfo } from './results.js';
import { callRpc, toPmError } from './rpc.js';
import { PmSession } from './session.js';
import { Api, type AuthKey } from './tl.js';
import { mapDifference, mapIncoming, mapState, markedPeerId } from './updates.js';

export {
  type GramConnectOptions,
  type GramHooks,
  type SelfInfo,
  type ServerAddress,
  TELEGRAM_DC,
  type Transport,
} from './options.js';
export { PmSession } from './session.js';

/** Connects GramJS (key exchange on a new session) with pm's hooks installed. */
export function openGram(opts: GramConnectOptions, hooks: GramHooks): Promise<GramConnection> {
  return GramConnection.open(opts, hooks);
}

/**
 * The connection behind a PmClient: a supervised series of GramJS clients (one per connection), with every call
 * under a deadline and retried across reconnects where that is safe. Everything it returns is in project types.
 */
export class GramConnection {
  // Private (#) so that no inspection, serializer or stray property walk reaches the api hash or the auth key.
  readonly #session: PmSession;
  readonly #opts: ResolvedGramOptions;
  readonly #server: ServerAddress;
  readonly #supervisor: Supervisor<GramLink>;
  /** A session from a file was logged in; a new one is not until loginAsBot succeeds. */
  #authorized: boolean;

  private constructor(
    session: PmSession,
    opts: ResolvedGramOptions,
    server: ServerAddress,
    hooks: GramHooks,
  ) {
    this.#session = session;
    this.#opts = opts;
    this.#server = server;
    this.#authorized = opts.session !== undefined;
    this.#supervisor = new Supervisor<GramLink>({
      options: opts.connection,
      clock: opts.clock ?? systemClock,
      target: `${server.host}:${server.port}`,
      dial: async (signal) => {
        const link = new GramLink(session, opts, server, hooks, () => this.#authorized);
        await link.open(signal);
        return link;
      },
      onState: (state) => hooks.connectionState?.(state),
      onReconnected: () => hooks.reconnected?.(),
    });
  }

  static async open(opts: GramConnectOptions, hooks: GramHooks): Promise<GramConnection> {
    const server =
      opts.server ??
      (opts.session
        ? { host: opts.session.serverAddress, port: opts.session.port, dcId: opts.session.dcId }
        : TELEGRAM_DC);
    const session = new PmSession(opts.session, server);
    await session.load();
    session.hooks = hooks;
    const conn = new GramConnection(
      session,
      { ...opts, connection: resolveConnectionOptions(opts.connection) },
      server,
      hooks,
    );
    try {
      await conn.#supervisor.start();
    } catch (e) {
      session.hooks = undefined;
      throw e;
    }
    return conn;
  }

  /** Where the connection stands now. */
  get state(): ConnectionState {
    return this.#supervisor.state;
  }

  /** Resolves when connected; rejects with ConnectionLostError at the deadline, or SessionInvalidError. */
  async waitReady(method: string): Promise<void> {
    await this.#supervisor.waitReady(deadlineFor(this.#opts.connection.callTimeoutMs), method);
  }

  /** Resolves once connected, however long that takes; rejects only when the client stops (or the session is refused). */
  async waitUntilReady(method: string): Promise<void> {
    await this.#supervisor.waitReady(
      { at: Number.POSITIVE_INFINITY, timeoutMs: Number.POSITIVE_INFINITY },
      method,
    );
  }

  /** One RPC under the supervisor: waits for a connection, retried after a drop when `retry`. */
  private invoke<T>(method: string, request: () => Api.AnyRequest, retry = true): Promise<T> {
    return this.#supervisor.call(
      method,
      async (link) => {
        try {
          return await callRpc(method, () => link.client.invoke(request() as any) as Promise<T>);
        } catch (e) {
          // A new session that has not logged in yet is merely unregistered: the session itself is fine.
          if (!this.#authorized && e instanceof SessionInvalidError && e.reason === 'AUTH_KEY_UNREGISTERED')
            throw new RpcCallError(
              401,
              e.reason,
              method,
              `${method}: not logged in yet: call loginAsBot first`,
            );
          throw e;
        }
      },
      { retry },
    );
  }

  async loginAsBot(token: string): Promise<SelfInfo> {
    const res = await this.invoke<Api.auth.TypeAuthorization>(
      'auth.ImportBotAuthorization',
      () =>
        new Api.auth.ImportBotAuthorization({
          flags: 0,
          apiId: this.#opts.apiId,
          apiHash: this.#opts.apiHash,
          botAuthToken: token,
        }),
    );
    if (!(res instanceof Api.auth.Authorization))
      throw toPmError(new Error('sign-up required'), 'auth.ImportBotAuthorization');
    this.#authorized = true;
    return selfInfo(res.user);
  }

  async getMe(): Promise<SelfInfo> {
    const [u] = await this.invoke<Api.TypeUser[]>(
      'users.GetUsers',
      () => new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }),
    );
    return selfInfo(u as Api.TypeUser);
  }

  /** The session as pm saves it. Throws when there is no auth key yet. */
  exportSession(bot?: SessionData['bot']): SessionData {
    const key = (this.#session.getAuthKey() as AuthKey | undefined)?.getKey();
    if (!key) throw toPmError(new Error('no auth key yet'), 'exportSession');
    return {
      version: 1,
      dcId: this.#session.dcId,
      serverAddress: this.#server.host,
      port: this.#server.port,
      authKey: key.toString('base64'),
      apiId: this.#opts.apiId,
      apiHash: this.#opts.apiHash,
      ...(bot ? { bot } : {}),
    };
  }

  async getState(): Promise<UpdateState> {
    return mapState(
      await this.invoke<Api.updates.State>('updates.GetState', () => new Api.updates.GetState()),
    );
  }

  /** updates.getDifference; its users and chats went to `hooks.ingest` before it returns. */
  async getDifference(state: UpdateState): Promise<Difference> {
    const d = await this.invoke<Api.updates.TypeDifference>(
      'updates.GetDifference',
      () => new Api.updates.GetDifference({ pts: state.pts, qts: state.qts, date: state.date }),
    );
    return mapDifference(d);
  }

  /** contacts.resolveUsername: the marked id (the peer itself went to `hooks.ingest` before it returns). */
  async resolveUsername(username: string): Promise<bigint> {
    const r = await this.invoke<Api.contacts.ResolvedPeer>(
      'contacts.ResolveUsername',
      () => new Api.contacts.ResolveUsername({ username }),
    );
    return markedPeerId(r.peer);
  }

  /** users.getUsers: refreshes the users (they go to `hooks.ingest` before it returns). */
  async getUsers(refs: readonly InputPeerDescriptor[]): Promise<void> {
    await this.invoke<unknown[]>(
      'users.GetUsers',
      () => new Api.users.GetUsers({ id: refs.map(toInputUser) }),
    );
  }

  async setTyping(ref: InputPeerDescriptor): Promise<void> {
    await this.invoke<boolean>(
      'messages.SetTyping',
      () => new Api.messages.SetTyping({ peer: toInputPeer(ref), action: new Api.SendMessageTypingAction() }),
    );
  }

  /**
   * messages.sendMessage; the result is mapped so its pts reaches the update engine. Sent again after a dropped
   * connection with the same random_id: Telegram answers RANDOM_ID_DUPLICATE rather than deliver twice.
   */
  async sendMessage(
    ref: InputPeerDescriptor,
    message: FormattedText,
    randomId: bigint,
    opts: SendOptions = {},
  ): Promise<{ messageId: number; date: number; incoming: IncomingUpdates | undefined }> {
    const res = await this.invoke<Api.TypeUpdates>('messages.SendMessage', () =>
      sendMessageRequest(ref, message, randomId, opts),
    );
    return { ...sentMessageInfo(res), incoming: mapIncoming(res) };
  }

  /**
   * messages.editMessage: new text (or the old one when `message` is undefined) and keyboard; the result's pts
   * goes to the update engine. Leaving `buttons` out removes the keyboard, as Telegram does.
   */
  async editMessage(
    ref: InputPeerDescriptor,
    id: number,
    message: FormattedText | undefined,
    opts: EditOptions = {},
  ): Promise<{ editDate: number; incoming: IncomingUpdates | undefined }> {
    const res = await this.invoke<Api.TypeUpdates>('messages.EditMessage', () =>
      editMessageRequest(ref, id, message, opts),
    );
    return { editDate: editDateOf(res), incoming: mapIncoming(res) };
  }

  /** messages.deleteMessages (for everyone); answers how many were deleted and the pts for the engine. */
  async deleteMessages(
    ids: readonly number[],
  ): Promise<{ deleted: number; incoming: IncomingUpdates | undefined }> {
    const res = await this.invoke<Api.messages.AffectedMessages>(
      'messages.DeleteMessages',
      () => new Api.messages.DeleteMessages({ id: [...ids], revoke: true }),
    );
    return { deleted: res.ptsCount, incoming: deletedMessagesIncoming(ids, res) };
  }

  /** messages.setBotCallbackAnswer. */
  async answerCallbackQuery(queryId: bigint, answer: CallbackAnswer): Promise<void> {
    await this.invoke<boolean>('messages.SetBotCallbackAnswer', () => callbackAnswerRequest(queryId, answer));
  }

  /** Closes the connection for good; calls still waiting settle with ConnectionLostError('stopped'). */
  async disconnect(): Promise<void> {
    this.#session.hooks = undefined;
    await this.#supervisor.stop();
  }

  describe(): string {
    return redactSecrets(`${this.#server.host}:${this.#server.port} dc${this.#session.dcId}`);
  }

  /** No api hash, auth key or GramJS internals in logs, at any depth. */
  [inspect.custom](): string {
    return `GramConnection { ${this.describe()} }`;
  }
}
