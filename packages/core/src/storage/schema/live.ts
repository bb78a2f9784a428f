/**
 * A store's schema as the database reports it, in one shape for both dialects, so it can be compared with the
 * table description and with the other database: columns (SQL type, NOT NULL), primary key, indexes (unique,
 * partial). A primary key column counts as NOT NULL (it is one in both databases, declared or not).
 */
import type Sqlite from 'better-sqlite3';
import { sqlType } from './ddl.js';
import { columnsIn, type Dialect, indexesIn, primaryKeyIn, STORE_TABLES, type TableSpec } from './tables.js';

export interface LiveColumn {
  /** SQLite: the declared type (INTEGER, TEXT); PostgreSQL: bigint, integer, text, boolean, jsonb, text[]. */
  readonly type: string;
  readonly notNull: boolean;
}

export interface LiveIndex {
  readonly unique: boolean;
  readonly partial: boolean;
}

export interface LiveTable {
  readonly columns: Readonly<Record<string, LiveColumn>>;
  readonly primaryKey: readonly string[];
  readonly indexes: Readonly<Record<string, LiveIndex>>;
}

export type LiveSchema = Readonly<Record<string, LiveTable>>;

/** The schema of a SQLite store (pm's tables; `schema_version` left out). */
export function sqliteSchemaOf(db: Sqlite.Database): LiveSchema {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'",
    )
    .all();
  const schema: Record<string, LiveTable> = {};
  for (const { name } of tables) {
    const info = db
      .prepare<[], { name: string; type: string; notnull: number | bigint; pk: number | bigint }>(
        `PRAGMA table_info("${name}")`,
      )
      .all();
    const columns: Record<string, LiveColumn> = {};
    for (const c of info) {
      columns[c.name] = { type: c.type.toUpperCase(), notNull: Number(c.notnull) === 1 || Number(c.pk) > 0 };
    }
    const primaryKey = info
      .filter((c) => Number(c.pk) > 0)
      .sort((a, b) => Number(a.pk) - Number(b.pk))
      .map((c) => c.name);
    const indexes: Record<string, LiveIndex> = {};
    for (const i of db
      .prepare<[], { name: string; unique: number | bigint; origin: string; partial: number | bigint }>(
        `PRAGMA index_list("${name}")`,
      )
      .all()) {
      if (i.origin === 'pk') continue;
      indexes[i.name] = { unique: Number(i.unique) === 1, partial: Number(i.partial) === 1 };
    }
    schema[name] = { columns, primaryKey, indexes };
  }
  return schema;
}

/** The schema the table description gives a dialect, in the shape a live store is read in. */
export function describedSchema(dialect: Dialect): LiveSchema {
  const schema: Record<string, LiveTable> = {};
  for (const table of STORE_TABLES) {
    const primaryKey = primaryKeyIn(table, dialect);
    const columns: Record<string, LiveColumn> = {};
    for (const c of columnsIn(table, dialect)) {
      const type = c.type === 'seq' && dialect === 'postgres' ? 'bigint' : sqlType(c.type, dialect);
      columns[c.name] = {
        type,
        notNull: c.notNull === true || c.type === 'seq' || primaryKey.includes(c.name),
      };
    }
    const indexes: Record<string, LiveIndex> = {};
    for (const i of indexesIn(table, dialect)) {
      indexes[i.name] = { unique: i.unique === true, partial: i.where !== undefined };
    }
    for (const c of table.constraints ?? []) {
      if (c.only === dialect && c.sql.startsWith('UNIQUE'))
        indexes[c.name] = { unique: true, partial: false };
    }
    schema[table.name] = { columns, primaryKey: [...primaryKey], indexes };
  }
  return schema;
}

/** How a PostgreSQL type is stored by SQLite (its type affinity), to compare the two databases' columns. */
const AS_SQLITE: Readonly<Record<string, string>> = {
  bigint: 'INTEGER',
  integer: 'INTEGER',
  boolean: 'INTEGER',
  text: 'TEXT',
  jsonb: 'TEXT',
  'text[]': 'TEXT',
};

const described = (
  table: TableSpec | undefined,
  what: 'columns' | 'indexes',
  name: string,
): Dialect | undefined =>
  what === 'columns'
    ? table?.columns.find((c) => c.name === name)?.only
    : (table?.indexes?.find((i) => i.name === name)?.only ??
      table?.constraints?.find((c) => c.name === name)?.only);

/**
 * The differences between a SQLite store's and a PostgreSQL store's schemas, table by table, that the table
 * description does not declare (a column or index of one database only, with its reason): an empty list when the
 * two hold the same tables.
 */
export function compareSchemas(sqlite: LiveSchema, postgres: LiveSchema): string[] {
  const out: string[] = [];
  for (const name of new Set([...Object.keys(sqlite), ...Object.keys(postgres)])) {
    const s = sqlite[name];
    const p = postgres[name];
    if (s === undefined || p === undefined) {
      out.push(`table ${name}: only in ${s ? 'SQLite' : 'PostgreSQL'}`);
      continue;
    }
    const spec = STORE_TABLES.find((t) => t.name === name);
    for (const column of new Set([...Object.keys(s.columns), ...Object.keys(p.columns)])) {
      const a = s.columns[column];
      const b = p.columns[column];
      if (a === undefined || b === undefined) {
        const where: Dialect = a ? 'sqlite' : 'postgres';
        if (described(spec, 'columns', column) !== where)
          out.push(`${name}.${column}: only in ${where}, undeclared`);
        continue;
      }
      if (AS_SQLITE[b.type] !== a.type)
        out.push(`${name}.${column}: ${a.type} in SQLite, ${b.type} in PostgreSQL`);
      if (a.notNull !== b.notNull) {
        const nulls = (notNull: boolean): string => (notNull ? 'NOT NULL' : 'nullable');
        out.push(`${name}.${column}: ${nulls(a.notNull)} in SQLite, ${nulls(b.notNull)} in PostgreSQL`);
      }
    }
    const keyed = spec !== undefined && !Array.isArray(spec.primaryKey);
    if (!keyed && s.primaryKey.join() !== p.primaryKey.join())
      out.push(`${name}: primary key (${s.primaryKey}) in SQLite, (${p.primaryKey}) in PostgreSQL`);
    for (const index of new Set([...Object.keys(s.indexes), ...Object.keys(p.indexes)])) {
      const a = s.indexes[index];
      const b = p.indexes[index];
      if (a === undefined || b === undefined) {
        const where: Dialect = a ? 'sqlite' : 'postgres';
        if (described(spec, 'indexes', index) !== where)
          out.push(`index ${index} of ${name}: only in ${where}, undeclared`);
        continue;
      }
      if (a.unique !== b.unique || a.partial !== b.partial)
        out.push(
          `index ${index} of ${name}: ${JSON.stringify(a)} in SQLite, ${JSON.stringify(b)} in PostgreSQL`,
        );
    }
  }
  return out;
}
