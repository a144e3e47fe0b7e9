import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUCKDB_MIGRATIONS, LATEST_VERSION } from "./migrations.js";
import { openCoreDb } from "./open.js";
import type { CoreDb, SqlExecutor } from "./types.js";

/**
 * The DuckDB schema is written by hand beside the PostgreSQL migrations: these tests fail when a
 * PostgreSQL migration changes a table and its DuckDB form was forgotten (or differs).
 */

const silent = { info: () => undefined, warn: () => undefined };
let folder: string;
let pglite: CoreDb;
let duckdb: CoreDb;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "hugr-duckdb-schema-"));
  pglite = await openCoreDb({ kind: "pglite", dir: "memory://", readOnly: false }, { logger: silent });
  duckdb = await openCoreDb(
    { kind: "duckdb", path: join(folder, "core.duckdb"), readOnly: false },
    { logger: silent },
  );
}, 60_000);
afterAll(async () => {
  await pglite?.close();
  await duckdb?.close();
  await rm(folder, { recursive: true, force: true });
});

/** PostgreSQL's information_schema type names, as DuckDB spells the type used in its schema. */
const DUCKDB_TYPE: Record<string, string> = {
  text: "VARCHAR",
  boolean: "BOOLEAN",
  integer: "INTEGER",
  jsonb: "JSON",
  "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
};

interface Column {
  table_name: string;
  column_name: string;
  ordinal_position: number;
  data_type: string;
  is_nullable: string;
  column_default: string | null;
}

async function columns(db: SqlExecutor, schema: string): Promise<Column[]> {
  return db.query<Column>(
    `SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default
     FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
}

/** A default as both databases print it: PostgreSQL adds casts, DuckDB writes booleans as casts. */
function normalDefault(text: string | null): string | null {
  if (text === null) return null;
  return text
    .replace(/::[a-z ]+$/u, "")
    .replace(/^CAST\('t' AS BOOLEAN\)$/u, "true")
    .replace(/^CAST\('f' AS BOOLEAN\)$/u, "false");
}

/** Primary keys and unique constraints: "table PRIMARY KEY (a, b)". */
async function keys(db: SqlExecutor, schema: string): Promise<string[]> {
  const rows = await db.query<{ table_name: string; constraint_type: string; columns: string }>(
    `SELECT c.table_name, c.constraint_type,
            string_agg(k.column_name, ', ' ORDER BY k.ordinal_position) AS columns
     FROM information_schema.table_constraints c
     JOIN information_schema.key_column_usage k
       ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name
          AND k.table_schema = c.table_schema
     WHERE c.table_schema = $1 AND c.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
     GROUP BY c.table_name, c.constraint_type, c.constraint_name`,
    [schema],
  );
  return rows.map((r) => `${r.table_name} ${r.constraint_type} (${r.columns})`).sort();
}

describe("the DuckDB core schema", () => {
  it("is at the newest PostgreSQL version", async () => {
    expect(Math.max(...DUCKDB_MIGRATIONS.map((m) => m.version))).toBe(LATEST_VERSION);
    const [row] = await duckdb.query<{ version: number }>(
      "SELECT max(version) AS version FROM schema_version",
    );
    expect(row?.version).toBe(LATEST_VERSION);
  });

  it("has PostgreSQL's tables and columns, in the same order, with the same types, nullability and defaults", async () => {
    const expected = (await columns(pglite, "public")).map((c) => {
      const type = DUCKDB_TYPE[c.data_type];
      if (type === undefined)
        throw new Error(`map the PostgreSQL type "${c.data_type}" to DuckDB in this test`);
      return { ...c, data_type: type, column_default: normalDefault(c.column_default) };
    });
    const actual = (await columns(duckdb, "main")).map((c) => ({
      ...c,
      column_default: normalDefault(c.column_default),
    }));
    expect(actual).toEqual(expected);
  });

  it("has PostgreSQL's primary keys and unique constraints", async () => {
    expect(await keys(duckdb, "main")).toEqual(await keys(pglite, "public"));
  });

  it.each(["roles", "permissions"])("seeds the same %s", async (table) => {
    const query = `SELECT * FROM ${table} ORDER BY 1, 2, 3`;
    expect(await duckdb.query(query)).toEqual(await pglite.query(query));
  });

  it("seeds hugr's roles, its rule that the readonly role runs no mutation, and the core module's rules", async () => {
    expect(await duckdb.query("SELECT name FROM roles ORDER BY name")).toEqual([
      { name: "admin" },
      { name: "public" },
      { name: "readonly" },
    ]);
    const refused = (role: string) => [
      { role, type_name: "_module_core_function", field_name: "*", hidden: false, disabled: true },
      { role, type_name: "_module_core_function", field_name: "auth", hidden: false, disabled: false },
      ...["_module_core_function_mutation", "_module_core_mutation", "_module_core_query"].map(
        (type_name) => ({
          role,
          type_name,
          field_name: "*",
          hidden: false,
          disabled: true,
        }),
      ),
    ];
    expect(
      await duckdb.query(
        "SELECT role, type_name, field_name, hidden, disabled FROM permissions ORDER BY role, type_name, field_name",
      ),
    ).toEqual([
      ...refused("public"),
      { role: "readonly", type_name: "Mutation", field_name: "*", hidden: false, disabled: true },
      ...refused("readonly"),
    ]);
  });
});
