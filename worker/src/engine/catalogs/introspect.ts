/**
 * The model of a self-defined source without catalogs, read from the database itself: its tables and
 * views, their columns, primary keys and foreign keys. Tables, views and columns come from
 * `information_schema`, which PostgreSQL and DuckDB share; foreign keys come from each engine's own
 * catalog, because PostgreSQL's constraint names are unique only per table and `information_schema`
 * cannot tell two equally named foreign keys apart.
 */
import type { Querier, Row } from "../querier.js";
import type { CatalogModel, FieldModel, ObjectModel, RelationModel, ScalarName } from "./model.js";

export interface IntrospectOptions {
  /**
   * Schemas to read. Default: PostgreSQL, every schema but the system ones (`pg_*`,
   * `information_schema`); DuckDB, `main`. An empty list means the default.
   */
  schemas?: readonly string[];
}

type Dialect = "postgres" | "duckdb";

/** Objects of this schema are named and addressed without it (`orders`, not `public_orders`). */
const DEFAULT_SCHEMA: Record<Dialect, string> = { postgres: "public", duckdb: "main" };

/** Type names (PostgreSQL's udt_name, DuckDB's data_type, lower-cased, without parameters) by scalar. */
const SCALAR_BY_TYPE: ReadonlyMap<string, ScalarName> = new Map(
  Object.entries({
    Int: ["int1", "int2", "int4", "int", "integer", "smallint", "tinyint", "utinyint", "usmallint"],
    // uinteger fits in 64 bits; ubigint and hugeint do not, so they stay strings.
    BigInt: ["int8", "bigint", "uinteger"],
    Float: ["numeric", "decimal", "real", "float", "float4", "float8", "double", "double precision"],
    Boolean: ["bool", "boolean"],
    Date: ["date"],
    Time: ["time", "timetz", "time with time zone", "time without time zone"],
    Timestamp: [
      "timestamp",
      "timestamptz",
      "timestamp with time zone",
      "timestamp without time zone",
      "timestamp_s",
      "timestamp_ms",
      "timestamp_ns",
    ],
    JSON: ["json", "jsonb"],
  } satisfies Partial<Record<ScalarName, string[]>>).flatMap(([scalar, names]) =>
    names.map((typeName) => [typeName, scalar as ScalarName] as const),
  ),
);

/**
 * The scalar and list-ness of a column type as `information_schema` spells it (`int4`, `INTEGER[]`,
 * `DECIMAL(10,2)`, `int4[]` for PostgreSQL's `_int4`). Types without a scalar (text, uuid, enums,
 * structs, nested lists…) are strings.
 */
export function columnType(typeName: string): Pick<FieldModel, "type" | "list"> {
  const normalized = typeName.trim().toLowerCase();
  const element = /^(.*?)\[\d*\]$/.exec(normalized)?.[1];
  if (element !== undefined && !element.endsWith("]")) return { type: scalarOf(element), list: true };
  return { type: element === undefined ? scalarOf(normalized) : "String", list: false };
}

function scalarOf(typeName: string): ScalarName {
  return SCALAR_BY_TYPE.get(typeName.replace(/\(.*\)$/, "").trim()) ?? "String";
}

/** Reads the source's tables and views (see {@link IntrospectOptions} for which schemas). */
export async function introspectCatalog(
  querier: Querier,
  dialect: Dialect,
  options: IntrospectOptions = {},
): Promise<CatalogModel> {
  const run = async (sql: (schemaFilter: string) => string, column: string): Promise<Row[]> => {
    const filter = schemaFilter(dialect, column, options.schemas);
    return querier.query(sql(filter.sql), filter.params);
  };
  // One statement at a time: a DuckDB connection runs one statement at a time anyway.
  const tables = await run(TABLES_SQL, "table_schema");
  const columns = await run(COLUMNS_SQL[dialect], "table_schema");
  const primaryKeys = await run(PRIMARY_KEYS_SQL, "tc.table_schema");
  const foreignKeys = await run(
    FOREIGN_KEYS_SQL[dialect],
    dialect === "postgres" ? "ns.nspname" : "schema_name",
  );
  return buildModel(dialect, { tables, columns, primaryKeys, foreignKeys });
}

function schemaFilter(
  dialect: Dialect,
  column: string,
  schemas: readonly string[] | undefined,
): { sql: string; params: string[] } {
  if (schemas?.length) {
    return { sql: `${column} in (${schemas.map((_, i) => `$${i + 1}`).join(", ")})`, params: [...schemas] };
  }
  if (dialect === "duckdb") return { sql: `${column} = 'main'`, params: [] };
  return { sql: `${column} <> 'information_schema' and left(${column}, 3) <> 'pg_'`, params: [] };
}

const TABLES_SQL = (schemaFilter: string): string => `
  select table_schema as schema_name, table_name, table_type = 'VIEW' as is_view
  from information_schema.tables
  where table_catalog = current_database() and table_type in ('BASE TABLE', 'VIEW') and ${schemaFilter}`;

// PostgreSQL: udt_name is the short name (int4, timestamptz; _int4 for an array); pg_get_serial_sequence
// finds the sequence of serial and identity columns, which inserts leave to the database.
// DuckDB: data_type is the full spelling (INTEGER[], DECIMAL(10,2)); sequences show as nextval('…') defaults.
const COLUMNS_SQL: Record<Dialect, (schemaFilter: string) => string> = {
  postgres: (schemaFilter) => `
    select table_schema as schema_name, table_name, column_name,
      case when data_type = 'ARRAY' then substr(udt_name, 2) || '[]' else udt_name end as type_name,
      is_nullable = 'YES' as nullable,
      pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) as sequence
    from information_schema.columns
    where table_catalog = current_database() and ${schemaFilter}
    order by table_schema, table_name, ordinal_position`,
  duckdb: (schemaFilter) => `
    select table_schema as schema_name, table_name, column_name, data_type as type_name,
      is_nullable = 'YES' as nullable,
      nullif(regexp_extract(coalesce(column_default, ''), 'nextval\\(''([^'']+)''', 1), '') as sequence
    from information_schema.columns
    where table_catalog = current_database() and ${schemaFilter}
    order by table_schema, table_name, ordinal_position`,
};

const PRIMARY_KEYS_SQL = (schemaFilter: string): string => `
  select tc.table_schema as schema_name, tc.table_name, kcu.column_name
  from information_schema.table_constraints tc
  join information_schema.key_column_usage kcu
    on kcu.constraint_schema = tc.constraint_schema and kcu.constraint_name = tc.constraint_name
    and kcu.table_schema = tc.table_schema and kcu.table_name = tc.table_name
  where tc.constraint_type = 'PRIMARY KEY' and tc.table_catalog = current_database() and ${schemaFilter}`;

// Column lists in key order. DuckDB allows foreign keys only within a schema, so the referenced table is
// in the referencing table's schema.
const FOREIGN_KEYS_SQL: Record<Dialect, (schemaFilter: string) => string> = {
  postgres: (schemaFilter) => `
    select ns.nspname as schema_name, cl.relname as table_name, con.conname as constraint_name,
      rns.nspname as ref_schema, rcl.relname as ref_table,
      array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, i)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.i) as columns,
      array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, i)
        join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.i) as ref_columns
    from pg_constraint con
    join pg_class cl on cl.oid = con.conrelid
    join pg_namespace ns on ns.oid = cl.relnamespace
    join pg_class rcl on rcl.oid = con.confrelid
    join pg_namespace rns on rns.oid = rcl.relnamespace
    where con.contype = 'f' and ${schemaFilter}
    order by ns.nspname, cl.relname, con.conname`,
  duckdb: (schemaFilter) => `
    select schema_name, table_name, constraint_name, schema_name as ref_schema, referenced_table as ref_table,
      constraint_column_names as columns, referenced_column_names as ref_columns
    from duckdb_constraints()
    where constraint_type = 'FOREIGN KEY' and database_name = current_database() and ${schemaFilter}
    order by schema_name, table_name, constraint_name`,
};

interface IntrospectedRows {
  tables: Row[];
  columns: Row[];
  primaryKeys: Row[];
  foreignKeys: Row[];
}

/** An object with what is needed to resolve foreign keys to it: its fields by column. */
interface Built {
  model: ObjectModel;
  fieldByColumn: Map<string, string>;
}

function buildModel(dialect: Dialect, rows: IntrospectedRows): CatalogModel {
  const defaultSchema = DEFAULT_SCHEMA[dialect];
  const keyColumns = new Set(
    rows.primaryKeys.map((row) => columnKey(row, "schema_name", "table_name", text(row, "column_name"))),
  );
  const columnsByTable = groupBy(rows.columns, (row) => tableKey(row, "schema_name", "table_name"));
  // Sorted here rather than in SQL, so that the order (and the suffixes uniqueName adds) is independent of collations.
  const tables = [...rows.tables].sort((a, b) =>
    compare(tableKey(a, "schema_name", "table_name"), tableKey(b, "schema_name", "table_name")),
  );
  const objectNames = new Set<string>();
  const built = new Map<string, Built>();
  for (const row of tables) {
    const schema = text(row, "schema_name");
    const table = text(row, "table_name");
    const key = tableKey(row, "schema_name", "table_name");
    const qualified = schema !== defaultSchema;
    const model: ObjectModel = {
      name: uniqueName(hugrName(qualified ? `${schema}_${table}` : table), objectNames),
      kind: row.is_view === true ? "view" : "table",
      sqlName: qualified ? `${schema}.${table}` : table,
      fields: [],
      relations: [],
      uniques: [],
    };
    const fieldByColumn = new Map<string, string>();
    for (const column of columnsByTable.get(key) ?? []) {
      const field = buildField(
        column,
        model.fields,
        keyColumns.has(columnKey(row, "schema_name", "table_name", text(column, "column_name"))),
      );
      fieldByColumn.set(field.column, field.name);
      model.fields.push(field);
    }
    built.set(key, { model, fieldByColumn });
  }
  addForeignKeys(rows.foreignKeys, built);
  return { objects: [...built.values()].map((object) => object.model) };
}

function buildField(column: Row, siblings: readonly FieldModel[], pk: boolean): FieldModel {
  const name = text(column, "column_name");
  const sequence = column.sequence;
  return {
    name: uniqueName(hugrName(name), new Set(siblings.map((field) => field.name))),
    column: name,
    ...columnType(text(column, "type_name")),
    nonNull: column.nullable !== true,
    pk,
    ...(typeof sequence === "string" && { default: { sequence } }),
  };
}

/** A relation candidate: its owner, the name it would have without clashes, and the relation. */
interface Candidate {
  owner: ObjectModel;
  base: string;
  /** The referencing fields, for `<base>_by_<fields>` when `base` clashes. */
  by: string;
  relation: Omit<RelationModel, "name">;
}

/**
 * Each foreign key gives `<referenced object>` on the referencing object and `<referencing object>` on
 * the referenced one; a name taken by a field or by another relation of the same object gets
 * `_by_<referencing fields>` (orders.customers_by_buyer_id, customers.orders_by_buyer_id).
 * Foreign keys to tables outside the read schemas are left out.
 */
function addForeignKeys(foreignKeys: readonly Row[], built: ReadonlyMap<string, Built>): void {
  const candidates = foreignKeys.flatMap((row): Candidate[] => {
    const source = built.get(tableKey(row, "schema_name", "table_name"));
    const target = built.get(tableKey(row, "ref_schema", "ref_table"));
    if (!source || !target) return [];
    const sourceFields = texts(row, "columns").map((column) => source.fieldByColumn.get(column));
    const targetFields = texts(row, "ref_columns").map((column) => target.fieldByColumn.get(column));
    if (!isComplete(sourceFields) || !isComplete(targetFields)) return [];
    const by = sourceFields.join("_");
    return [
      {
        owner: source.model,
        base: target.model.name,
        by,
        relation: { target: target.model.name, kind: "one", sourceFields, targetFields },
      },
      {
        owner: target.model,
        base: source.model.name,
        by,
        relation: {
          target: source.model.name,
          kind: "many",
          sourceFields: targetFields,
          targetFields: sourceFields,
        },
      },
    ];
  });
  for (const [owner, own] of groupBy(candidates, (candidate) => candidate.owner)) {
    const taken = new Set(owner.fields.map((field) => field.name));
    const clashes = (base: string): boolean =>
      taken.has(base) || own.filter((c) => c.base === base).length > 1;
    const named = own.map(({ base, by, relation }) => ({
      name: uniqueName(clashes(base) ? `${base}_by_${by}` : base, taken),
      ...relation,
    }));
    owner.relations = named.sort((a, b) => compare(a.name, b.name));
  }
}

/** `Map.groupBy`, which the ES2023 library this project compiles against does not declare yet. */
function groupBy<K, V>(items: readonly V[], key: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

function isComplete(names: (string | undefined)[]): names is string[] {
  return names.length > 0 && names.every((name) => name !== undefined);
}

/** A hugr name for a database identifier: other characters become `_`, and it starts with a letter or one `_`. */
function hugrName(identifier: string): string {
  const name = identifier.replace(/[^A-Za-z0-9_]/g, "_").replace(/^__+/, "_");
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/** `name`, or `name_2`, `name_3`… when taken; the result is added to `taken`. */
function uniqueName(name: string, taken: Set<string>): string {
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`;
  taken.add(unique);
  return unique;
}

function tableKey(row: Row, schemaColumn: string, tableColumn: string): string {
  return JSON.stringify([text(row, schemaColumn), text(row, tableColumn)]);
}

function columnKey(row: Row, schemaColumn: string, tableColumn: string, column: string): string {
  return JSON.stringify([text(row, schemaColumn), text(row, tableColumn), column]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== "string") {
    throw new Error(`introspection: expected text in column ${column}, got ${typeof value}`);
  }
  return value;
}

function texts(row: Row, column: string): string[] {
  const value = row[column];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`introspection: expected a text list in column ${column}`);
  }
  return value;
}
