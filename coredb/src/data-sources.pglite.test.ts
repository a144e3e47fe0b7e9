import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDataSource, insertDataSource, putDataSource } from "./data-sources.js";
import { openCoreDb } from "./open.js";
import type { CoreDb } from "./types.js";

const silent = { info: () => undefined, warn: () => undefined };
let db: CoreDb;

beforeAll(async () => {
  db = await openCoreDb({ kind: "pglite", dir: "memory://", readOnly: false }, { logger: silent });
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const catalogNames = async (): Promise<string[]> =>
  (await db.query<{ name: string }>("SELECT name FROM catalog_sources ORDER BY name")).map((r) => r.name);

describe("putDataSource", () => {
  it("creates a data source with its catalogs, then replaces fields and catalogs by name", async () => {
    const created = await putDataSource(db, {
      name: "analytics",
      type: "postgres",
      path: "postgres://db/analytics",
      as_module: true,
      catalogs: [
        { name: "a_schema", type: "uri", path: "/schemas/a" },
        { name: "a_extra", type: "text", path: "type X { id: Int }" },
      ],
    });
    expect(created).toMatchObject({ name: "analytics", as_module: true, disabled: false, prefix: "" });
    expect(created.catalogs?.map((c) => c.name).sort()).toEqual(["a_extra", "a_schema"]);

    const replaced = await putDataSource(db, {
      name: "analytics",
      type: "postgres",
      path: "postgres://db/analytics2",
      disabled: true,
      catalogs: [{ name: "a_schema", type: "uriFile", path: "/schemas/a.graphql" }],
    });
    expect(replaced).toMatchObject({ path: "postgres://db/analytics2", disabled: true, as_module: false });
    expect(replaced.catalogs).toEqual([
      { name: "a_schema", type: "uriFile", description: "", path: "/schemas/a.graphql" },
    ]);
    // The catalog no data source lists any more is gone; one row, never two.
    expect(await catalogNames()).toEqual(["a_schema"]);
    expect(await db.query("SELECT name FROM data_sources")).toHaveLength(1);
  });

  it("keeps a catalog another data source still uses", async () => {
    await insertDataSource(db, {
      name: "other",
      type: "duckdb",
      path: "/data/o.duckdb",
      catalogs: [{ name: "shared", type: "uri", path: "/schemas/shared" }],
    });
    await putDataSource(db, {
      name: "third",
      type: "duckdb",
      path: "/data/t.duckdb",
      catalogs: [{ name: "shared", type: "uri", path: "/schemas/shared" }],
    });
    await putDataSource(db, { name: "third", type: "duckdb", path: "/data/t.duckdb", catalogs: [] });
    expect(await catalogNames()).toContain("shared");
    expect((await getDataSource(db, "other"))?.catalogs?.map((c) => c.name)).toEqual(["shared"]);
  });

  it("refuses invalid input before writing", async () => {
    await expect(putDataSource(db, { name: "bad name", type: "postgres", path: "x" })).rejects.toThrow(
      /must start with a letter/,
    );
    expect(await getDataSource(db, "bad name")).toBeUndefined();
  });
});
