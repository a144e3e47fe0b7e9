import { randomBytes } from "node:crypto";
import { link, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { currentVersion, LATEST_VERSION, migrate } from "./migrations.js";
import { removeDuckDbFile } from "./open.js";
import type { CoreDb, SqlExecutor } from "./types.js";

/**
 * The tables an export copies: the core database's content. Not cluster_nodes nor
 * cluster_data_sources: they are the state of one running cluster (the nodes its management node
 * registered, the sources loaded or unloaded by hand), kept by that management node; copied, they
 * would make another deployment believe in nodes it never had.
 */
export const EXPORTED_TABLES = [
  "data_sources",
  "catalog_sources",
  "data_source_catalogs",
  "roles",
  "permissions",
  "api_keys",
  "object_storages",
] as const;

export type ExportedTable = (typeof EXPORTED_TABLES)[number];

export interface ExportCoreDbOptions {
  /** The DuckDB file to create; it must not exist, its folder must. */
  to: string;
  /** Called after each table is copied, with the number of rows. */
  onTable?: (table: ExportedTable, rows: number) => void;
  /** Stops the export between rows; nothing is left behind then either. */
  signal?: AbortSignal;
}

/**
 * Copies the core tables of `source` (any back end, at this build's schema version) into a new
 * DuckDB file that nodes can open with CORE_DB_PATH. The source is read in one snapshot and never
 * written. The file is written under a temporary name in the target's folder and takes its name
 * only when complete, so a failure at any point (the source, the disk, an abort) leaves no file
 * behind, and an existing file is never replaced. Resolves with the rows copied per table.
 */
export async function exportCoreDb(
  source: CoreDb,
  options: ExportCoreDbOptions,
): Promise<Record<ExportedTable, number>> {
  const target = await checkExportTarget(options.to);
  await checkSourceVersion(source);
  const snapshot = await readSnapshot(source);
  options.signal?.throwIfAborted();
  const temporary = `${target}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    const counts = await writeDuckDb(temporary, snapshot, options);
    await publish(temporary, target);
    return counts;
  } finally {
    await removeDuckDbFile(temporary);
  }
}

/**
 * Refuses a target the export would refuse, before anything is read: a name without ".duckdb", an
 * existing file, a missing folder. Resolves with the absolute path.
 */
export async function checkExportTarget(to: string): Promise<string> {
  const target = resolve(to);
  if (!/\.duckdb$/iu.test(target)) {
    throw new Error(
      `${target}: the file name must end in .duckdb, as CORE_DB_PATH recognises DuckDB files by it`,
    );
  }
  if (await stat(target).catch(() => undefined)) {
    throw new Error(
      `${target} already exists: an export never replaces a file; choose another name or delete it`,
    );
  }
  const folder = await stat(dirname(target)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new Error(`${dirname(target)}: the target folder does not exist`);
  return target;
}

async function checkSourceVersion(source: CoreDb): Promise<void> {
  const version = await currentVersion(source).catch((error: unknown) => {
    throw new Error("the source core database has no hugr schema (schema_version is missing)", {
      cause: error,
    });
  });
  if (version !== LATEST_VERSION) {
    throw new Error(
      `the source core database has schema version ${version}, this build writes version ${LATEST_VERSION}: ` +
        "start a node of this build on it once (it migrates the schema), then export again",
    );
  }
}

type Snapshot = Map<ExportedTable, Record<string, unknown>[]>;

/** Every table as of one moment: a read-only transaction, repeatable read on PostgreSQL. */
async function readSnapshot(source: CoreDb): Promise<Snapshot> {
  return source.transaction(async (tx) => {
    // DuckDB transactions are snapshots already; PostgreSQL's default would see commits between reads.
    if (source.kind !== "duckdb")
      await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const snapshot: Snapshot = new Map();
    for (const table of EXPORTED_TABLES) snapshot.set(table, await tx.query(`SELECT * FROM ${table}`));
    return snapshot;
  });
}

async function writeDuckDb(
  path: string,
  snapshot: Snapshot,
  options: ExportCoreDbOptions,
): Promise<Record<ExportedTable, number>> {
  const { openDuckDbCore } = await import("./duckdb.js");
  const db = await openDuckDbCore({ path, readOnly: false });
  try {
    await migrate(db);
    const jsonColumns = await jsonColumnsOf(db);
    const counts = {} as Record<ExportedTable, number>;
    await db.transaction(async (tx) => {
      for (const [table, rows] of snapshot) {
        counts[table] = await copyTable(tx, table, rows, {
          json: jsonColumns.get(table),
          signal: options.signal,
        });
        options.onTable?.(table, counts[table]);
      }
    });
    // Everything into the file itself, so the file alone is the database (no write-ahead log).
    await db.query("CHECKPOINT");
    return counts;
  } finally {
    await db.close();
  }
}

/** The JSON columns of each table: values are written as JSON text, whatever their JavaScript type. */
async function jsonColumnsOf(db: SqlExecutor): Promise<Map<string, Set<string>>> {
  const rows = await db.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'JSON'",
  );
  const columns = new Map<string, Set<string>>();
  for (const row of rows)
    columns.set(row.table_name, (columns.get(row.table_name) ?? new Set()).add(row.column_name));
  return columns;
}

/**
 * Replaces the table's rows (the schema's seeded ones included) with the source's, so that the copy
 * holds exactly what the source holds, then checks the count.
 */
async function copyTable(
  tx: SqlExecutor,
  table: ExportedTable,
  rows: readonly Record<string, unknown>[],
  options: { json: ReadonlySet<string> | undefined; signal: AbortSignal | undefined },
): Promise<number> {
  await tx.query(`DELETE FROM ${table}`);
  for (const row of rows) {
    options.signal?.throwIfAborted();
    const columns = Object.keys(row);
    const values = columns.map((column) =>
      options.json?.has(column) && row[column] !== null ? JSON.stringify(row[column]) : row[column],
    );
    await tx.query(
      `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
      values,
    );
  }
  const [count] = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  if (count?.n !== rows.length) {
    throw new Error(`${table}: ${rows.length} rows read from the source, but ${count?.n ?? 0} written`);
  }
  return rows.length;
}

/**
 * Gives the complete file its name. A hard link, unlike a rename, fails when the name exists, so a
 * file created meanwhile under that name is never replaced; the caller removes the temporary name.
 */
async function publish(temporary: string, target: string): Promise<void> {
  await link(temporary, target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EEXIST") {
      throw new Error(`${target} was created by someone else during the export; it was left as it is`);
    }
    throw new Error(`cannot name the exported file ${target}`, { cause: error });
  });
}
