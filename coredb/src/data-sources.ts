import { CoreDbError, readOnlyError, sqlState, SQLSTATE_UNIQUE_VIOLATION } from "./errors.js";
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

/**
 * The data source an input stands for, every absent field given the default an insert stores: the
 * one place those defaults live (core database writes, definitions sent to the management node,
 * the operator's comparison of a resource with its row).
 */
export function dataSourceWithDefaults(input: DataSourceInput): DataSource & { catalogs: CatalogSource[] } {
  return {
    name: input.name,
    type: input.type,
    prefix: input.prefix ?? "",
    description: input.description ?? "",
    path: input.path,
    as_module: input.as_module ?? false,
    self_defined: input.self_defined ?? false,
    read_only: input.read_only ?? false,
    disabled: input.disabled ?? false,
    catalogs: (input.catalogs ?? []).map(catalogWithDefaults),
  };
}

function catalogWithDefaults(catalog: CatalogSourceInput): CatalogSource {
  return {
    name: catalog.name,
    type: catalog.type,
    description: catalog.description ?? "",
    path: catalog.path,
  };
}

/** Data source types hugr knows; which of them a node can load is the loader's business. */
export const DATA_SOURCE_TYPES = ["postgres", "duckdb", "mysql", "mssql", "http", "extension"] as const;
/** Catalog types: a folder or URI of .graphql files, one file, or inline SDL. */
export const CATALOG_TYPES = ["localFS", "uri", "uriFile", "text"] as const;

const COLUMNS = [
  "name",
  "type",
  "prefix",
  "description",
  "path",
  "as_module",
  "self_defined",
  "read_only",
  "disabled",
] as const;
const PATCHABLE = COLUMNS.filter((c) => c !== "name");
const SELECT_DATA_SOURCES = `SELECT ${COLUMNS.map((c) => `"${c}"`).join(", ")} FROM data_sources`;

/**
 * The data sources a node loads at start (every one not disabled), with their catalogs. Plain SQL
 * that PostgreSQL, PGlite and DuckDB all run: the GraphQL listing is the query engine's.
 */
export async function listEnabledDataSources(db: SqlExecutor): Promise<DataSource[]> {
  const rows = await db.query<DataSource>(`${SELECT_DATA_SOURCES} WHERE NOT disabled ORDER BY name`);
  return withCatalogs(db, rows);
}

/** One data source by name, with its catalogs, or undefined. */
export async function getDataSource(db: SqlExecutor, name: string): Promise<DataSource | undefined> {
  return (await getDataSources(db, [name]))[0];
}

/** The named data sources that exist, with their catalogs, ordered by name. */
export async function getDataSources(db: SqlExecutor, names: readonly string[]): Promise<DataSource[]> {
  if (names.length === 0) return [];
  const rows = await db.query<DataSource>(
    `${SELECT_DATA_SOURCES} WHERE name IN (${placeholders(names)}) ORDER BY name`,
    names,
  );
  return withCatalogs(db, rows);
}

/** Each row's catalogs, read in one statement for all of them. */
async function withCatalogs(db: SqlExecutor, rows: DataSource[]): Promise<DataSource[]> {
  if (rows.length === 0) return rows;
  const names = rows.map((r) => r.name);
  const links = await db.query<CatalogSource & { data_source_name: string }>(
    `SELECT l.data_source_name, c.name, c.type, c.description, c.path
     FROM data_source_catalogs l JOIN catalog_sources c ON c.name = l.catalog_name
     WHERE l.data_source_name IN (${placeholders(names)}) ORDER BY c.name`,
    names,
  );
  return rows.map((row) => ({
    ...row,
    catalogs: links
      .filter((l) => l.data_source_name === row.name)
      .map(({ name, type, description, path }) => ({ name, type, description, path })),
  }));
}

/** `$1, $2, …` for a list bound element by element: `= ANY($1)` is PostgreSQL's, not DuckDB's. */
function placeholders(values: readonly unknown[]): string {
  return values.map((_, i) => `$${i + 1}`).join(", ");
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
    if (await getDataSource(tx, input.name)) {
      throw new CoreDbError("ALREADY_EXISTS", `data source '${input.name}' already exists`);
    }
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
        [catalog.name, catalog.type, catalogWithDefaults(catalog).description, catalog.path],
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
  const row = dataSourceWithDefaults(input);
  return COLUMNS.map((column) => row[column]);
}

async function deleteOrphanCatalogs(tx: SqlExecutor): Promise<void> {
  await tx.query(
    "DELETE FROM catalog_sources WHERE NOT EXISTS (SELECT 1 FROM data_source_catalogs l WHERE l.catalog_name = catalog_sources.name)",
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
  const { description } = catalogWithDefaults(catalog);
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

/**
 * `update_data_sources`: changes the named data sources (the query engine found them by the
 * mutation's filter); returns them as updated, with catalogs.
 */
export async function updateDataSources(
  db: CoreDb,
  names: readonly string[],
  patch: DataSourcePatch,
): Promise<DataSource[]> {
  assertWritable(db);
  validateUpdate(patch);
  const fields = PATCHABLE.filter((c) => patch[c] !== undefined);
  if (names.length === 0) return [];
  const values = fields.map((c) => patch[c] ?? "");
  const assignments = fields.map((c, i) => `"${c}" = $${i + 1}`);
  const where = names.map((_, i) => `$${fields.length + i + 1}`).join(", ");
  return db.transaction(async (tx) => {
    await tx.query(`UPDATE data_sources SET ${assignments.join(", ")} WHERE name IN (${where})`, [
      ...values,
      ...names,
    ]);
    return getDataSources(tx, names);
  });
}

/**
 * `delete_data_sources`: deletes the named data sources; returns them as they were. Catalog sources
 * that no data source uses any more are deleted with them (they were created by the nested insert).
 */
export async function deleteDataSources(db: CoreDb, names: readonly string[]): Promise<DataSource[]> {
  assertWritable(db);
  if (names.length === 0) return [];
  return db.transaction(async (tx) => {
    const doomed = await getDataSources(tx, names);
    if (doomed.length === 0) return [];
    const gone = doomed.map((d) => d.name);
    // The links first: DuckDB's schema has no ON DELETE CASCADE.
    await tx.query(
      `DELETE FROM data_source_catalogs WHERE data_source_name IN (${placeholders(gone)})`,
      gone,
    );
    await tx.query(`DELETE FROM data_sources WHERE name IN (${placeholders(gone)})`, gone);
    await deleteOrphanCatalogs(tx);
    return doomed;
  });
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

/**
 * The checks `updateDataSources` makes on its patch: it sets at least one field, each valid. Throws
 * INVALID_INPUT. Exported for writers that do not update themselves (a node of a managed cluster).
 */
export function validateUpdate(patch: DataSourcePatch): void {
  if (!PATCHABLE.some((c) => patch[c] !== undefined)) invalid("data must set at least one field to update");
  validatePatch(patch);
}

/** The checks of a patch's fields (and of an insert's); throws INVALID_INPUT. */
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

function invalid(message: string): never {
  throw new CoreDbError("INVALID_INPUT", message);
}
