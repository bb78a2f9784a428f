/**
 * The SQL that creates a new store's tables in each dialect, derived from {@link STORE_TABLES}. Existing stores are
 * brought to the same schema by their migrations (which never change once released); the schema tests check that
 * both roads end at the same tables.
 */
import {
  type ColumnSpec,
  type ColumnType,
  columnsIn,
  type Dialect,
  indexesIn,
  primaryKeyIn,
  STORE_TABLES,
  type TableSpec,
} from './tables.js';

const TYPES: { readonly [D in Dialect]: Record<ColumnType, string> } = {
  sqlite: {
    int64: 'INTEGER',
    time: 'INTEGER',
    int32: 'INTEGER',
    seq: 'INTEGER',
    text: 'TEXT',
    flag: 'INTEGER',
    json: 'TEXT',
    names: 'TEXT',
  },
  postgres: {
    int64: 'bigint',
    time: 'bigint',
    int32: 'integer',
    seq: 'bigserial',
    text: 'text',
    flag: 'boolean',
    json: 'jsonb',
    names: 'text[]',
  },
};

/** The SQL type of a column in a dialect. */
export function sqlType(type: ColumnType, dialect: Dialect): string {
  return TYPES[dialect][type];
}

function columnSql(c: ColumnSpec, dialect: Dialect): string {
  let sql = `${c.name} ${sqlType(c.type, dialect)}`;
  if (dialect === 'postgres' && c.collate) sql += ` COLLATE "${c.collate}"`;
  if (c.notNull && c.type !== 'seq') sql += ' NOT NULL';
  const fallback = c.default?.[dialect];
  if (fallback !== undefined) sql += ` DEFAULT ${fallback}`;
  return sql;
}

/**
 * `CREATE TABLE` and `CREATE INDEX` statements of one table. `prefix` qualifies table names (PostgreSQL: the quoted
 * schema and a dot).
 */
export function createTableStatements(table: TableSpec, dialect: Dialect, prefix = ''): string[] {
  const parts = columnsIn(table, dialect).map((c) => columnSql(c, dialect));
  const key = primaryKeyIn(table, dialect);
  if (key.length > 0) parts.push(`PRIMARY KEY (${key.join(', ')})`);
  for (const c of table.constraints ?? [])
    if (c.only === dialect) parts.push(`CONSTRAINT ${c.name} ${c.sql}`);
  const rowid = dialect === 'sqlite' && table.withoutRowid && key.length > 0 ? ' WITHOUT ROWID' : '';
  const statements = [`CREATE TABLE ${prefix}${table.name} (\n  ${parts.join(',\n  ')}\n)${rowid}`];
  for (const index of indexesIn(table, dialect)) {
    statements.push(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${index.name} ON ${prefix}${table.name} (${index.on})${
        index.where ? ` WHERE ${index.where}` : ''
      }`,
    );
  }
  return statements;
}

/** Every statement that creates a new store in a dialect. */
export function createStoreStatements(dialect: Dialect, prefix = ''): string[] {
  return STORE_TABLES.flatMap((t) => createTableStatements(t, dialect, prefix));
}
