import {
  CoreDbError,
  readOnlyError,
  sqlState,
  SQLSTATE_INVALID_REGULAR_EXPRESSION,
  SQLSTATE_UNIQUE_VIOLATION,
} from "./errors.js";
import {
  compileFilter,
  compileOrderBy,
  createParams,
  FilterError,
  type OrderByField,
  type TableSpec,
} from "./sql/index.js";
import type { ReadThrough } from "./read-cache.js";
import type { CoreDb, SqlExecutor } from "./types.js";

/** A row of `catalog_sources`: where a data source's schema (SDL) comes from. */
export interface CatalogSource {
  name: string;
  type: string;
  description: string;
  path: string;
}

/** A row of `data_sources`, with its catalogs when they were asked for. */
export interface DataSource {
  name: string;
  type: string;
  prefix: string;
  description: string;
  path: string;
  as_module: boolean;
  self_defined: boolean;
  read_only: boolean;
  disabled: boolean;
  catalogs?: CatalogSource[];
}

export interface CatalogSourceInput {
  name: string;
  type: string;
  description?: string | null;
  path: string;
}

export interface DataSourceInput {
  name: string;
  type: string;
  prefix?: string | null;
  description?: string | null;
  path: string;
  as_module?: boolean | null;
  self_defined?: boolean | null;
  read_only?: boolean | null;
  disabled?: boolean | null;
  catalogs?: readonly CatalogSourceInput[] | null;
}

/**
 * The updatable fields (undefined: unchanged). The name is the identity: rename by delete and
 * insert. A null description or prefix clears it; null for any other field is refused.
 */
export type DataSourcePatch = {
  [K in keyof Omit<DataSourceInput, "name" | "catalogs">]?: DataSourceInput[K] | null;
};

export interface ListDataSourcesOptions {
  filter?: unknown;
  orderBy?: readonly OrderByField[] | null;
  /** Default 2000, hugr's default page size. */
  limit?: number | null;
  offset?: number | null;
  /** Fetch each row's catalogs in the same statement (only when the query selects them). */
  withCatalogs: boolean;
}

/** Data source types hugr knows; which of them a node can load is the loader's business. */
export const DATA_SOURCE_TYPES = ["postgres", "duckdb", "mysql", "mssql", "http", "extension"] as const;
/** Catalog types: a folder or URI of .graphql files, one file, or inline SDL. */
export const CATALOG_TYPES = ["localFS", "uri", "uriFile", "text"] as const;

export const DEFAULT_LIMIT = 2000;

export const CATALOG_SOURCES_TABLE: TableSpec = {
  table: "catalog_sources",
  columns: { name: "string", type: "string", description: "string", path: "string" },
};

export const DATA_SOURCES_TABLE: TableSpec = {
  table: "data_sources",
  columns: {
    name: "string",
    type: "string",
    prefix: "string",
    description: "string",
    path: "string",
    as_module: "boolean",
    self_defined: "boolean",
    read_only: "boolean",
    disabled: "boolean",
  },
  relations: {
    catalogs: {
      target: () => CATALOG_SOURCES_TABLE,
      through: {
        table: "data_source_catalogs",
        sourceColumn: "data_source_name",
        targetColumn: "catalog_name",
      },
      sourceKey: "name",
      targetKey: "name",
    },
  },
};

const COLUMNS = Object.keys(DATA_SOURCES_TABLE.columns);
const PATCHABLE = COLUMNS.filter((c) => c !== "name");

/** Each data source's catalogs as one JSON array, so a list query is one statement, not N+1. */
const CATALOGS_SUBQUERY = `COALESCE((
  SELECT json_agg(json_build_object('name', c.name, 'type', c.type, 'description', c.description, 'path', c.path) ORDER BY c.name)
  FROM data_source_catalogs l JOIN catalog_sources c ON c.name = l.catalog_name
  WHERE l.data_source_name = ds.name), '[]'::json) AS catalogs`;

function selectList(withCatalogs: boolean): string {
  const columns = COLUMNS.map((c) => `ds."${c}"`).join(", ");
  return withCatalogs ? `${columns}, ${CATALOGS_SUBQUERY}` : columns;
}

/** `query { core { data_sources(filter, order_by, limit, offset) } }`: one parameterised statement. */
export async function listDataSources(
  db: SqlExecutor & Partial<ReadThrough>,
  options: ListDataSourcesOptions,
): Promise<DataSource[]> {
  const params = createParams();
  const where = compileFilter(DATA_SOURCES_TABLE, options.filter, params, "ds");
  const orderBy = compileOrderBy(DATA_SOURCES_TABLE, options.orderBy, "ds") || ' ORDER BY ds."name" ASC';
  const limit = params.add(nonNegative("limit", options.limit ?? DEFAULT_LIMIT));
  const offset = params.add(nonNegative("offset", options.offset ?? 0));
  const text = `SELECT ${selectList(options.withCatalogs)} FROM data_sources ds WHERE ${where}${orderBy} LIMIT ${limit} OFFSET ${offset}`;
  // The listing is the hot read of the core module: answered from the node's short-lived cache when
  // the caller has one (see read-cache.ts); loading a source always reads fresh (getDataSource).
  const read = db.cachedQuery ?? db.query;
  return filtered(read<DataSource>(text, params.values));
}

/** One data source by name, with its catalogs, or undefined. */
export async function getDataSource(db: SqlExecutor, name: string): Promise<DataSource | undefined> {
  const rows = await db.query<DataSource>(
    `SELECT ${selectList(true)} FROM data_sources ds WHERE ds.name = $1`,
    [name],
  );
  return rows[0];
}

/**
 * `insert_data_sources`: the row and its catalogs in one transaction, so a failed catalog leaves
 * nothing behind. A catalog that already exists with the same definition is shared; one with the
 * same name and another definition is an error.
 */
export async function insertDataSource(db: CoreDb, input: DataSourceInput): Promise<DataSource> {
  assertWritable(db);
  validateDataSource(input);
  const catalogs = input.catalogs ?? [];
  catalogs.forEach(validateCatalog);
  return db.transaction(async (tx) => {
    await insertRow(tx, input);
    for (const catalog of catalogs) await linkCatalog(tx, input.name, catalog);
    const inserted = await getDataSource(tx, input.name);
    if (!inserted) throw new Error(`while inserting data source '${input.name}': the row vanished`);
    return inserted;
  });
}

/**
 * Creates or replaces a data source by name, its catalogs included, in one transaction: what a
 * HugrDataSource says, as the operator's reconcile writes it. Catalogs it no longer lists are
 * unlinked (and deleted when no data source uses them); a catalog of the same name is updated to
 * the given definition.
 */
export async function putDataSource(db: CoreDb, input: DataSourceInput): Promise<DataSource> {
  assertWritable(db);
  validateDataSource(input);
  const catalogs = input.catalogs ?? [];
  catalogs.forEach(validateCatalog);
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO data_sources (name, type, prefix, description, path, as_module, self_defined, read_only, disabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type, prefix = EXCLUDED.prefix,
         description = EXCLUDED.description, path = EXCLUDED.path, as_module = EXCLUDED.as_module,
         self_defined = EXCLUDED.self_defined, read_only = EXCLUDED.read_only, disabled = EXCLUDED.disabled`,
      rowValues(input),
    );
    await tx.query("DELETE FROM data_source_catalogs WHERE data_source_name = $1", [input.name]);
    for (const catalog of catalogs) {
      await tx.query(
        `INSERT INTO catalog_sources (name, type, description, path) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type, description = EXCLUDED.description,
           path = EXCLUDED.path`,
        [catalog.name, catalog.type, catalog.description ?? "", catalog.path],
      );
      await tx.query("INSERT INTO data_source_catalogs (data_source_name, catalog_name) VALUES ($1, $2)", [
        input.name,
        catalog.name,
      ]);
    }
    await deleteOrphanCatalogs(tx);
    const stored = await getDataSource(tx, input.name);
    if (!stored) throw new Error(`while writing data source '${input.name}': the row vanished`);
    return stored;
  });
}

function rowValues(input: DataSourceInput): unknown[] {
  return [
    input.name,
    input.type,
    input.prefix ?? "",
    input.description ?? "",
    input.path,
    input.as_module ?? false,
    input.self_defined ?? false,
    input.read_only ?? false,
    input.disabled ?? false,
  ];
}

async function deleteOrphanCatalogs(tx: SqlExecutor): Promise<void> {
  await tx.query(
    "DELETE FROM catalog_sources c WHERE NOT EXISTS (SELECT 1 FROM data_source_catalogs l WHERE l.catalog_name = c.name)",
  );
}

async function insertRow(tx: SqlExecutor, input: DataSourceInput): Promise<void> {
  try {
    await tx.query(
      `INSERT INTO data_sources (name, type, prefix, description, path, as_module, self_defined, read_only, disabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      rowValues(input),
    );
  } catch (error) {
    if (sqlState(error) === SQLSTATE_UNIQUE_VIOLATION) {
      throw new CoreDbError("ALREADY_EXISTS", `data source '${input.name}' already exists`);
    }
    throw error;
  }
}

async function linkCatalog(tx: SqlExecutor, dataSource: string, catalog: CatalogSourceInput): Promise<void> {
  const description = catalog.description ?? "";
  const inserted = await tx.query(
    `INSERT INTO catalog_sources (name, type, description, path) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO NOTHING RETURNING name`,
    [catalog.name, catalog.type, description, catalog.path],
  );
  if (inserted.length === 0) await assertCatalogFits(tx, catalog);
  await tx.query(
    "INSERT INTO data_source_catalogs (data_source_name, catalog_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [dataSource, catalog.name],
  );
}

/**
 * Refuses a catalog whose name exists with another type or path (ALREADY_EXISTS); one with the same
 * definition is shared between data sources.
 */
export async function assertCatalogFits(db: SqlExecutor, catalog: CatalogSourceInput): Promise<void> {
  const [existing] = await db.query<CatalogSource>(
    "SELECT name, type, description, path FROM catalog_sources WHERE name = $1",
    [catalog.name],
  );
  if (existing && (existing.type !== catalog.type || existing.path !== catalog.path)) {
    throw new CoreDbError(
      "ALREADY_EXISTS",
      `catalog source '${catalog.name}' already exists with another type or path`,
    );
  }
}

/** `update_data_sources(filter, data)`: returns the updated rows (with catalogs). */
export async function updateDataSources(
  db: CoreDb,
  filter: unknown,
  patch: DataSourcePatch,
): Promise<DataSource[]> {
  assertWritable(db);
  const fields = PATCHABLE.filter((c) => patch[c as keyof DataSourcePatch] !== undefined);
  if (fields.length === 0)
    throw new CoreDbError("INVALID_INPUT", "data must set at least one field to update");
  validatePatch(patch);
  const params = createParams();
  const assignments = fields.map((c) => `"${c}" = ${params.add(patch[c as keyof DataSourcePatch] ?? "")}`);
  const where = compileFilter(DATA_SOURCES_TABLE, filter, params, "ds");
  return db.transaction(async (tx) => {
    const updated = await filtered(
      tx.query<{ name: string }>(
        `UPDATE data_sources ds SET ${assignments.join(", ")} WHERE ${where} RETURNING ds.name`,
        params.values,
      ),
    );
    return fetchByNames(
      tx,
      updated.map((r) => r.name),
    );
  });
}

/**
 * `delete_data_sources(filter)`: returns the deleted rows as they were. Catalog sources that no
 * data source uses any more are deleted with them (they were created by the nested insert).
 */
export async function deleteDataSources(db: CoreDb, filter: unknown): Promise<DataSource[]> {
  assertWritable(db);
  const params = createParams();
  const where = compileFilter(DATA_SOURCES_TABLE, filter, params, "ds");
  return db.transaction(async (tx) => {
    const doomed = await filtered(
      tx.query<DataSource>(
        `SELECT ${selectList(true)} FROM data_sources ds WHERE ${where} ORDER BY ds.name FOR UPDATE`,
        params.values,
      ),
    );
    if (doomed.length === 0) return [];
    await tx.query("DELETE FROM data_sources WHERE name = ANY($1::text[])", [doomed.map((d) => d.name)]);
    await deleteOrphanCatalogs(tx);
    return doomed;
  });
}

async function fetchByNames(tx: SqlExecutor, names: readonly string[]): Promise<DataSource[]> {
  if (names.length === 0) return [];
  return tx.query<DataSource>(
    `SELECT ${selectList(true)} FROM data_sources ds WHERE ds.name = ANY($1::text[]) ORDER BY ds.name`,
    [names],
  );
}

function assertWritable(db: CoreDb): void {
  if (db.readOnly) throw readOnlyError();
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The checks `insertDataSource` makes on a new data source (its catalogs aside); throws INVALID_INPUT.
 * Exported for writers that do not insert themselves (a node of a Kubernetes-managed cluster).
 */
export function validateDataSource(input: DataSourceInput): void {
  if (!IDENTIFIER.test(input.name)) {
    invalid(
      `data source name '${input.name}' must start with a letter or _ and contain only letters, digits and _`,
    );
  }
  validatePatch(input);
}

/** The checks `updateDataSources` makes on a patch (and insert on its fields); throws INVALID_INPUT. */
export function validatePatch(patch: DataSourcePatch): void {
  if (patch.type !== undefined && !isOneOf(DATA_SOURCE_TYPES, patch.type)) {
    invalid(`unknown data source type '${String(patch.type)}' (known: ${DATA_SOURCE_TYPES.join(", ")})`);
  }
  if (patch.prefix && !IDENTIFIER.test(patch.prefix)) {
    invalid(`prefix '${patch.prefix}' must start with a letter or _ and contain only letters, digits and _`);
  }
  if (patch.path !== undefined && (patch.path === null || patch.path.trim() === ""))
    invalid("path must not be empty");
  for (const flag of ["as_module", "self_defined", "read_only", "disabled", "type", "path"] as const) {
    if (patch[flag] === null) invalid(`${flag} must not be null`);
  }
}

/** The checks `insertDataSource` makes on each nested catalog; throws INVALID_INPUT. */
export function validateCatalog(catalog: CatalogSourceInput): void {
  if (catalog.name.trim() === "") invalid("catalog name must not be empty");
  if (!isOneOf(CATALOG_TYPES, catalog.type)) {
    invalid(
      `unknown catalog type '${catalog.type}' for catalog '${catalog.name}' (known: ${CATALOG_TYPES.join(", ")})`,
    );
  }
  if (catalog.path.trim() === "") invalid(`catalog '${catalog.name}' needs a path`);
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return (values as readonly unknown[]).includes(value);
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) invalid(`${name} must be a non-negative integer`);
  return value;
}

function invalid(message: string): never {
  throw new CoreDbError("INVALID_INPUT", message);
}

/** Runs a statement whose WHERE came from a user filter: a regex PostgreSQL rejects is bad input. */
async function filtered<T>(statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    if (sqlState(error) === SQLSTATE_INVALID_REGULAR_EXPRESSION) {
      throw new FilterError(`invalid regular expression in filter: ${(error as Error).message}`);
    }
    throw error;
  }
}
