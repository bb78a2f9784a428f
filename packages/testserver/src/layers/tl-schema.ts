/**
 * A TL schema as data: every constructor and method of one API layer, by id and by name. Loaded from what the
 * client libraries ship (GramJS's `.tl` text, mtcute's JSON), never written by hand, so serving another layer is
 * one more schema file to load.
 */

/** One argument of a combinator. `type` is the element type for vectors; `int53` (mtcute) is read as `long`. */
export interface TlArg {
  readonly name: string;
  readonly type: string;
  readonly vector: boolean;
  /** Present when the argument is conditional: `flags.3?T` → { field: 'flags', bit: 3 }. */
  readonly flag?: { readonly field: string; readonly bit: number };
}

export interface TlCombinator {
  readonly id: number;
  /** The TL name, namespace included: `messages.sendMessage`, `user`. */
  readonly name: string;
  readonly kind: 'class' | 'method';
  /** The type a constructor belongs to, or a method's result type (element type when `vector`). */
  readonly type: string;
  /** Methods: the result is a `Vector<type>`. */
  readonly vector: boolean;
  readonly args: readonly TlArg[];
}

export class TlSchema {
  readonly byId = new Map<number, TlCombinator>();
  readonly byName = new Map<string, TlCombinator>();
  private readonly emptyOf = new Map<string, TlCombinator | null>();

  constructor(
    readonly layer: number,
    combinators: Iterable<TlCombinator>,
  ) {
    for (const c of combinators) {
      this.byId.set(c.id, c);
      // A name can repeat across layers' leftovers; the last definition wins, as in the schema files.
      this.byName.set(`${c.kind}:${c.name}`, c);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  constructorNamed(name: string): TlCombinator | undefined {
    return this.byName.get(`class:${name}`);
  }

  methodNamed(name: string): TlCombinator | undefined {
    return this.byName.get(`method:${name}`);
  }

  /** A combinator by name, constructor or method. */
  named(name: string): TlCombinator | undefined {
    return this.byName.get(`class:${name}`) ?? this.byName.get(`method:${name}`);
  }

  /**
   * The constructor standing for "nothing" of a type, for a required field a layer adds: one without
   * required arguments, preferring a name ending in `Empty` (`messageMediaEmpty`, `chatPhotoEmpty`).
   */
  emptyConstructor(type: string): TlCombinator | undefined {
    const cached = this.emptyOf.get(type);
    if (cached !== undefined) return cached ?? undefined;
    let best: TlCombinator | undefined;
    for (const c of this.byId.values()) {
      if (c.kind !== 'class' || c.type !== type) continue;
      if (c.args.some((a) => !a.flag && a.type !== '#')) continue;
      if (!best || (/Empty$/.test(c.name) && !/Empty$/.test(best.name))) best = c;
    }
    this.emptyOf.set(type, best ?? null);
    return best;
  }
}

function normalizeType(type: string): string {
  return type === 'int53' ? 'long' : type;
}

/** Splits `Vector<T>` into T; anything else is not a vector. */
function vectorOf(type: string): string | undefined {
  return /^[Vv]ector<%?(.+)>$/.exec(type)?.[1];
}

/** Parses `.tl` text (the format of Telegram's schema and of GramJS's `tl/apiTl.js`). */
export function parseTlText(text: string, layer: number): TlSchema {
  const out: TlCombinator[] = [];
  let kind: 'class' | 'method' = 'class';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '---functions---') kind = 'method';
    else if (line === '---types---') kind = 'class';
    const m = /^([\w.]+)#([0-9a-f]+)\s*(.*?)\s*=\s*([^;]+);$/.exec(line);
    if (!m || m[1] === 'vector') continue;
    const [, name, hex, argText, resultText] = m as unknown as [string, string, string, string, string];
    const args: TlArg[] = [];
    for (const token of argText.split(/\s+/)) {
      if (!token || token.startsWith('{') || !token.includes(':')) continue;
      const colon = token.indexOf(':');
      const argName = token.slice(0, colon);
      let type = token.slice(colon + 1);
      let flag: TlArg['flag'];
      const cond = /^(\w+)\.(\d+)\?(.+)$/.exec(type);
      if (cond) {
        flag = { field: cond[1]!, bit: Number(cond[2]) };
        type = cond[3]!;
      }
      const element = vectorOf(type);
      args.push({
        name: argName,
        type: normalizeType(element ?? type),
        vector: element !== undefined,
        ...(flag ? { flag } : {}),
      });
    }
    const result = resultText.trim();
    const resultElement = vectorOf(result);
    out.push({
      id: Number.parseInt(hex, 16) >>> 0,
      name,
      kind,
      type: resultElement ?? result,
      vector: resultElement !== undefined,
      args,
    });
  }
  return new TlSchema(layer, out);
}

/** mtcute's schema JSON (`@mtcute/core/tl/api-schema.json`, made by `@mtcute/tl-utils`). */
export interface MtcuteSchemaJson {
  readonly l: number;
  readonly e: ReadonlyArray<{
    readonly kind: 'class' | 'method';
    readonly name: string;
    readonly id: number;
    readonly type: string;
    readonly typeModifiers?: { readonly isVector?: boolean };
    readonly arguments: ReadonlyArray<{
      readonly name: string;
      readonly type: string;
      readonly typeModifiers?: { readonly predicate?: string; readonly isVector?: boolean };
    }>;
  }>;
}

export function parseMtcuteJson(json: MtcuteSchemaJson): TlSchema {
  const out: TlCombinator[] = json.e.map((e) => ({
    id: e.id >>> 0,
    name: e.name,
    kind: e.kind,
    type: normalizeType(e.type),
    vector: e.typeModifiers?.isVector === true,
    args: e.arguments.map((a): TlArg => {
      const predicate = a.typeModifiers?.predicate;
      const m = predicate ? /^(\w+)\.(\d+)$/.exec(predicate) : null;
      return {
        name: a.name,
        type: normalizeType(a.type),
        vector: a.typeModifiers?.isVector === true,
        ...(m ? { flag: { field: m[1]!, bit: Number(m[2]) } } : {}),
      };
    }),
  }));
  return new TlSchema(json.l, out);
}
