import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORTED_TABLES, exportCoreDb, type ExportedTable } from "./export.js";
import { LATEST_VERSION, MIGRATIONS, migrate } from "./migrations.js";
import { openCoreDb } from "./open.js";
import type { CoreDb } from "./types.js";

const silent = { info: () => undefined, warn: () => undefined };
let folder: string;
let source: CoreDb;

/** Every table's key columns, to compare rows in one order on both sides. */
const ORDER: Record<ExportedTable | "cluster_nodes", string> = {
  data_sources: "name",
  catalog_sources: "name",
  data_source_catalogs: "data_source_name, catalog_name",
  roles: "name",
  permissions: "role, type_name, field_name",
  api_keys: "name",
  object_storages: "cluster, name",
  cluster_nodes: "cluster, name",
};

/** A core database with a row or more in every table, JSON of every shape, and changed seeds. */
async function fill(db: CoreDb): Promise<void> {
  const statements: [string, unknown[]][] = [
    [
      `INSERT INTO data_sources (name, type, prefix, description, path, as_module, read_only)
       VALUES ('analytics', 'postgres', 'an', 'Analytics', 'postgres://u:pw@db/analytics', true, false),
              ('files', 'duckdb', '', '', '/data/files.duckdb', false, true)`,
      [],
    ],
    ["INSERT INTO catalog_sources (name, type, path) VALUES ('an_schema', 'uri', '/schemas/an')", []],
    ["INSERT INTO data_source_catalogs VALUES ('analytics', 'an_schema')", []],
    ["INSERT INTO roles (name, description, can_impersonate) VALUES ('ops', 'Operators', true)", []],
    ["UPDATE roles SET description = 'Everything' WHERE name = 'admin'", []],
    // The seeded readonly rule removed: the copy must not bring it back.
    ["DELETE FROM permissions", []],
    [
      `INSERT INTO permissions (role, type_name, field_name, hidden, filter, data)
       VALUES ('ops', 'data_sources', '*', true, $1, $2), ('public', 'Mutation', '*', false, NULL, $3)`,
      [{ type: { eq: "postgres" } }, JSON.stringify("text"), JSON.stringify([1, { a: null }])],
    ],
    [
      `INSERT INTO api_keys (name, key, default_role, is_temporal, expires_at, headers, claims, created_at)
       VALUES ('ci', 'k-123', 'ops', true, '2030-01-02T03:04:05.678Z', $1, $2, '2024-06-01T00:00:00Z'),
              ('plain', 'k-456', NULL, false, NULL, NULL, NULL, '2024-06-02T00:00:00Z')`,
      [{ role: "x-hugr-role" }, { role: "ops", tags: ["a", "b"] }],
    ],
    [
      `INSERT INTO object_storages (cluster, name, type, scope, endpoint, sealed_credentials)
       VALUES ('', 'minio', 's3', 's3://bucket', 'http://minio:9000', 'sealed')`,
      [],
    ],
    ["INSERT INTO cluster_nodes (name, url, version) VALUES ('worker-1', 'http://w1:15000', '1.0.0')", []],
  ];
  for (const [text, params] of statements) await db.query(text, params);
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "hugr-export-"));
  source = await openCoreDb({ kind: "pglite", dir: "memory://", readOnly: false }, { logger: silent });
  await fill(source);
}, 60_000);
afterAll(async () => {
  await source?.close();
  await rm(folder, { recursive: true, force: true });
});

const rowsOf = (db: CoreDb, table: keyof typeof ORDER): Promise<unknown[]> =>
  db.query(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`);

/** What the folder holds: an export must leave nothing but its target. */
const files = async (): Promise<string[]> => (await readdir(folder)).sort();

describe("exportCoreDb", () => {
  it("copies every core table from PGlite into a new DuckDB file, row for row", async () => {
    const to = join(folder, "core.duckdb");
    const reported: [string, number][] = [];
    const counts = await exportCoreDb(source, { to, onTable: (table, rows) => reported.push([table, rows]) });

    const expected = Object.fromEntries(
      await Promise.all(EXPORTED_TABLES.map(async (t) => [t, (await rowsOf(source, t)).length] as const)),
    );
    expect(counts).toEqual(expected);
    expect(counts).toMatchObject({
      data_sources: 2,
      roles: 4,
      permissions: 2,
      api_keys: 2,
      object_storages: 1,
    });
    expect(reported).toEqual(EXPORTED_TABLES.map((t) => [t, expected[t]]));

    const copy = await openCoreDb({ kind: "duckdb", path: to, readOnly: true }, { logger: silent });
    try {
      for (const table of EXPORTED_TABLES)
        expect(await rowsOf(copy, table)).toEqual(await rowsOf(source, table));
      // Cluster state belongs to the running cluster, not to its core database's content.
      expect(await rowsOf(copy, "cluster_nodes")).toEqual([]);
    } finally {
      await copy.close();
    }
    expect(await files()).toEqual(["core.duckdb"]);
    await rm(to);
  });

  it("never replaces an existing file", async () => {
    const to = join(folder, "taken.duckdb");
    await writeFile(to, "someone else's");
    await expect(exportCoreDb(source, { to })).rejects.toThrow(`${to} already exists`);
    expect(await readFile(to, "utf8")).toBe("someone else's");
    expect(await files()).toEqual(["taken.duckdb"]);
    await rm(to);
  });

  it.each([
    ["a name without .duckdb", "core.db", "the file name must end in .duckdb"],
    ["a folder that does not exist", join("missing", "core.duckdb"), "the target folder does not exist"],
  ])("refuses %s", async (_case, name, message) => {
    await expect(exportCoreDb(source, { to: join(folder, name) })).rejects.toThrow(message);
    expect(await files()).toEqual([]);
  });

  it("leaves nothing behind when it fails half-way", async () => {
    const to = join(folder, "half.duckdb");
    const failure = new Error("disk full, say");
    const onTable = (table: string): void => {
      if (table === "roles") throw failure;
    };
    await expect(exportCoreDb(source, { to, onTable })).rejects.toBe(failure);
    expect(await files()).toEqual([]);
  });

  it("leaves nothing behind when it is aborted", async () => {
    const controller = new AbortController();
    const onTable = (table: string): void => {
      if (table === "data_source_catalogs") controller.abort(new Error("interrupted"));
    };
    await expect(
      exportCoreDb(source, { to: join(folder, "aborted.duckdb"), onTable, signal: controller.signal }),
    ).rejects.toThrow("interrupted");
    expect(await files()).toEqual([]);
  });

  it("refuses a source whose schema is not this build's", async () => {
    const { openPglite } = await import("./pglite.js");
    const older = await openPglite({ dir: "memory://", readOnly: false });
    try {
      await migrate(older, MIGRATIONS.slice(0, 2));
      await expect(exportCoreDb(older, { to: join(folder, "old.duckdb") })).rejects.toThrow(
        `the source core database has schema version 2, this build writes version ${LATEST_VERSION}`,
      );
    } finally {
      await older.close();
    }
    expect(await files()).toEqual([]);
  });
});
