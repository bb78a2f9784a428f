/**
 * Layer negotiation: the world speaks one internal layer (GramJS's, whose `Api.*` classes the handlers use); a
 * connection that declared another layer in `invokeWithLayer` has its requests read and its answers and updates
 * written in that layer, mapped by constructor and field name (tl-codec.ts).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { apiTl, LAYER } from '../tl.js';
import { MissingInLayerError, TlReader, type TlTree, TlWriter, UnknownConstructorError } from './tl-codec.js';
import { type MtcuteSchemaJson, parseMtcuteJson, parseTlText, type TlSchema } from './tl-schema.js';
import { Transcoder } from './tl-transcoder.js';

/** Where one layer's schema comes from. */
export interface LayerSource {
  readonly layer: number;
  /** Package and file, for the README's table and error messages. */
  readonly from: string;
  load(): TlSchema;
}

const require = createRequire(import.meta.url);

/** GramJS's own schema: the internal layer. */
export const gramjsLayer: LayerSource = {
  layer: LAYER,
  from: 'telegram (GramJS) tl/apiTl.js',
  load: () => parseTlText(apiTl as string, LAYER),
};

/** A schema in mtcute's JSON format (`@mtcute/core/tl/api-schema.json`, or any file of that shape). */
export function mtcuteJsonLayer(file: string, from = file): LayerSource {
  // The layer is the file's first field (`{"l":227,"e":[…`): read it without parsing 2 MB up front.
  const head = Buffer.alloc(32);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const layer = Number(/^\{"l":(\d+)/.exec(head.toString('latin1'))?.[1]);
  if (!Number.isInteger(layer)) throw new Error(`${file}: not an mtcute schema JSON (no "l" field first)`);
  return {
    layer,
    from,
    load: () => parseMtcuteJson(require(file) as MtcuteSchemaJson),
  };
}

/** The layers served by default: GramJS's and the one mtcute ships. */
export function defaultLayerSources(): LayerSource[] {
  return [
    gramjsLayer,
    mtcuteJsonLayer(require.resolve('@mtcute/core/tl/api-schema.json'), '@mtcute/core tl/api-schema.json'),
  ];
}

/** A request the server cannot read in the client's layer: answered as this rpc_error. */
export class LayerRequestError extends Error {
  override name = 'LayerRequestError';
  constructor(
    readonly code: number,
    readonly errorMessage: string,
    detail: string,
  ) {
    super(`${code} ${errorMessage}: ${detail}`);
  }
}

/** A request read in a client's layer and rewritten in the internal one. */
export interface InternalRequest {
  readonly body: Buffer;
  /** The innermost method's TL name (what the answer is an answer to). */
  readonly method: string;
}

const WRAPPERS = new Set([
  'invokeWithLayer',
  'initConnection',
  'invokeAfterMsg',
  'invokeAfterMsgs',
  'invokeWithoutUpdates',
  'invokeWithMessagesRange',
  'invokeWithTakeout',
  'invokeWithBusinessConnection',
  'invokeWithGooglePlayIntegrity',
  'invokeWithApnsSecret',
  'invokeWithReCaptcha',
]);

export class LayerBook {
  private readonly sources: readonly LayerSource[];
  private readonly schemas = new Map<number, TlSchema>();
  private readonly toClient = new Map<TlSchema, Transcoder>();
  readonly internalLayer: number;
  /**
   * Answers and updates go through compiled per-constructor plans (tl-transcoder.ts) rather than a tree per
   * object; both write the same bytes. False: the tree path only (tests compare the two).
   */
  fastPath = true;

  constructor(sources: readonly LayerSource[] = defaultLayerSources(), internalLayer = LAYER) {
    if (!sources.some((s) => s.layer === internalLayer)) {
      throw new Error(`LayerBook: no schema for the internal layer ${internalLayer}`);
    }
    this.sources = [...sources].sort((a, b) => a.layer - b.layer);
    this.internalLayer = internalLayer;
  }

  /** The layers served, oldest first, with where each schema comes from. */
  get layers(): ReadonlyArray<{ layer: number; from: string }> {
    return this.sources.map((s) => ({ layer: s.layer, from: s.from }));
  }

  /** The schema of a loaded layer (loading it on first use). */
  schema(layer: number): TlSchema {
    let schema = this.schemas.get(layer);
    if (!schema) {
      const source = this.sources.find((s) => s.layer === layer);
      if (!source) throw new Error(`no schema for layer ${layer}`);
      schema = source.load();
      if (schema.layer !== layer) throw new Error(`${source.from} holds layer ${schema.layer}, not ${layer}`);
      this.schemas.set(layer, schema);
    }
    return schema;
  }

  /** The layer a client declaring `declared` is served in: that one if loaded, else the closest one. */
  servedLayer(declared: number): number {
    let best = this.sources[0]!.layer;
    for (const s of this.sources) {
      if (Math.abs(s.layer - declared) < Math.abs(best - declared)) best = s.layer;
      else if (Math.abs(s.layer - declared) === Math.abs(best - declared) && s.layer <= declared)
        best = s.layer;
    }
    return best;
  }

  /** The client's schema when it is not the internal layer (the only case needing a transcoder). */
  clientSchema(declared: number | undefined): TlSchema | undefined {
    if (declared === undefined) return undefined;
    const served = this.servedLayer(declared);
    return served === this.internalLayer ? undefined : this.schema(served);
  }

  /** Reads a query in the client's layer and writes it in the internal one; throws LayerRequestError. */
  requestToInternal(client: TlSchema, body: Buffer): InternalRequest {
    let tree: TlTree;
    try {
      tree = new TlReader(client, body).object();
    } catch (error) {
      if (error instanceof UnknownConstructorError) {
        const top = body.readUInt32LE(0);
        const what = error.constructorId === top ? 'INPUT_METHOD_INVALID' : 'INPUT_CONSTRUCTOR_INVALID';
        throw new LayerRequestError(400, what, `layer ${client.layer}: ${error.message}`);
      }
      throw new LayerRequestError(400, 'INPUT_FETCH_ERROR', `layer ${client.layer}: ${String(error)}`);
    }
    let inner = tree;
    while (WRAPPERS.has(inner._) && isTree(inner.query)) inner = inner.query;
    const internal = this.schema(this.internalLayer);
    if (!internal.methodNamed(inner._)) {
      throw new LayerRequestError(400, 'INPUT_METHOD_INVALID', `layer ${internal.layer} has no ${inner._}`);
    }
    const w = new TlWriter(internal, 'strict');
    try {
      w.object(tree);
    } catch (error) {
      if (error instanceof MissingInLayerError) {
        throw new LayerRequestError(400, 'INPUT_CONSTRUCTOR_INVALID', error.message);
      }
      throw error;
    }
    return { body: w.result(), method: inner._ };
  }

  /** An answer to `method`, serialized in the internal layer, rewritten in the client's. */
  resultToClient(client: TlSchema, method: string, internalBytes: Buffer): Buffer {
    const internal = this.schema(this.internalLayer);
    const from = internal.methodNamed(method);
    const to = client.methodNamed(method);
    if (!from || !to) throw new MissingInLayerError(`method ${method}`, from ? client.layer : internal.layer);
    if (this.fastPath) return this.transcoder(client).result(from, to, internalBytes, 'lenient');
    const value = new TlReader(internal, internalBytes).result(from);
    const w = new TlWriter(client, 'lenient');
    w.resultOf(to, value);
    return w.result();
  }

  /** A pushed `Updates` object, serialized in the internal layer, rewritten in the client's. */
  updatesToClient(client: TlSchema, internalBytes: Buffer): Buffer {
    if (this.fastPath) return this.transcoder(client).object(internalBytes, 'Updates', 'lenient');
    const tree = new TlReader(this.schema(this.internalLayer), internalBytes).object();
    const w = new TlWriter(client, 'lenient');
    w.object(tree, 'Updates');
    return w.result();
  }

  private transcoder(client: TlSchema): Transcoder {
    let t = this.toClient.get(client);
    if (!t) {
      t = new Transcoder(this.schema(this.internalLayer), client);
      this.toClient.set(client, t);
    }
    return t;
  }
}

function isTree(v: unknown): v is TlTree {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v);
}

/**
 * The layer a query declares, if it starts with invokeWithLayer (possibly behind invokeAfterMsg(s) /
 * invokeWithoutUpdates, which are the same in every layer).
 */
export function peekLayer(body: Buffer): number | undefined {
  let at = 0;
  for (let hops = 0; hops < 4 && at + 8 <= body.length; hops++) {
    const id = body.readUInt32LE(at);
    if (id === 0xda9b0d0d) return body.readInt32LE(at + 4); // invokeWithLayer layer:int
    if (id === 0xbf9459b7)
      at += 4; // invokeWithoutUpdates
    else if (id === 0xcb9f372d)
      at += 12; // invokeAfterMsg msg_id:long
    else if (id === 0x3dc4b4f0 && at + 12 <= body.length)
      at += 12 + 8 * body.readInt32LE(at + 8); // invokeAfterMsgs
    else return undefined;
  }
  return undefined;
}
