import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LATEST_VERSION } from "./migrations.js";
import { openCoreDb } from "./open.js";
import type { CoreDbConfig } from "@hugr/common";
import type { CoreDb } from "./types.js";

const silent = { info: () => undefined, warn: () => undefined };
let folder: string;
const opened: CoreDb[] = [];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "hugr-duckdb-core-"));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function config(name: string, readOnly = false): Extract<CoreDbConfig, { kind: "duckdb" }> {
  return { kind: "duckdb", path: join(folder, name), readOnly };
}

async function open(settings: CoreDbConfig): Promise<CoreDb> {
  const db = await openCoreDb(settings, { logger: silent });
  opened.push(db);
  return db;
}

/** Opens a file writable (creating the schema), runs `fill`, closes it: a prepared file. */
async function prepare(name: string, fill?: (db: CoreDb) => Promise<void>): Promise<string> {
  const db = await openCoreDb(config(name), { logger: silent });
  await fill?.(db);
  await db.close();
  return join(folder, name);
}

const insertSource = "INSERT INTO data_sources (name, type, path) VALUES ($1, 'duckdb', $2)";
const sourceNames = async (db: CoreDb): Promise<string[]> =>
  (await db.query<{ name: string }>("SELECT name FROM data_sources ORDER BY name")).map((r) => r.name);

describe("a writable DuckDB core database", () => {
  it("is created with the schema at the newest version and reports its kind", async () => {
    const db = await open(config("new.duckdb"));
    expect([db.kind, db.readOnly]).toEqual(["duckdb", false]);
    expect(await db.query("SELECT max(version) AS v FROM schema_version")).toEqual([{ v: LATEST_VERSION }]);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it("binds $n parameters and returns plain JavaScript values, as PostgreSQL's drivers do", async () => {
    const db = await open(config("values.duckdb"));
    const expires = new Date("2030-01-02T03:04:05.678Z");
    const inserted = await db.query(
      `INSERT INTO api_keys (name, key, default_role, is_temporal, expires_at, headers, claims)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      ["ci", "k-1", "readonly", true, expires, { role: "x-role" }, undefined],
    );
    expect(inserted).toEqual([]);
    const [row] = await db.query(
      `SELECT name, is_temporal, expires_at, headers, claims, created_at,
              2::BIGINT AS small, 9007199254740993::BIGINT AS huge, [1, 2] AS list,
              (SELECT count(*) FROM roles WHERE name = ANY($1)) AS roles
       FROM api_keys`,
      [["admin", "readonly", "nobody"]],
    );
    expect(row).toEqual({
      name: "ci",
      is_temporal: true,
      expires_at: expires,
      headers: { role: "x-role" },
      claims: null,
      created_at: expect.any(Date) as Date,
      small: 2,
      huge: "9007199254740993",
      list: [1, 2],
      roles: 2,
    });
    expect(await db.query("SELECT name FROM roles WHERE name = ANY($1::text[])", [[]])).toEqual([]);
    expect(
      await db.query("UPDATE roles SET disabled = $1 WHERE name = $2 RETURNING name, disabled", [
        true,
        "public",
      ]),
    ).toEqual([{ name: "public", disabled: true }]);
  });

  it("commits a transaction, and rolls it back when its function throws", async () => {
    const db = await open(config("transactions.duckdb"));
    await db.transaction(async (tx) => {
      await tx.query(insertSource, ["kept", "/kept.duckdb"]);
    });
    const failure = new Error("changed my mind");
    await expect(
      db.transaction(async (tx) => {
        await tx.query(insertSource, ["dropped", "/dropped.duckdb"]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(
      db.transaction((tx) => tx.query(insertSource, ["kept", "/duplicate.duckdb"])),
    ).rejects.toThrow(/[Dd]uplicate key/u);
    expect(await sourceNames(db)).toEqual(["kept"]);
  });

  it("runs concurrent transactions and statements one after another on its single writer", async () => {
    const db = await open(config("concurrent.duckdb"));
    const names = Array.from({ length: 8 }, (_, i) => `s${i}`);
    await Promise.all(
      names.map((name) =>
        db.transaction(async (tx) => {
          await Promise.all([tx.query(insertSource, [name, `/${name}.duckdb`]), tx.query("SELECT 1")]);
          return tx.query("SELECT count(*) AS n FROM data_sources");
        }),
      ),
    );
    expect(await sourceNames(db)).toEqual(names);
  });

  it("has no notifications: listen starts once and unsubscribes", async () => {
    const db = await open(config("listen.duckdb"));
    let started = 0;
    const unlisten = await db.listen(
      "hugr_core_changed",
      () => undefined,
      () => (started += 1),
    );
    expect(started).toBe(1);
    await expect(unlisten()).resolves.toBeUndefined();
  });

  it("refuses statements once closed", async () => {
    const db = await openCoreDb(config("closed.duckdb"), { logger: silent });
    await db.close();
    await expect(db.query("SELECT 1")).rejects.toThrow("the core database (duckdb) is closed");
    await expect(db.close()).resolves.toBeUndefined();
  });
});

describe("a read-only DuckDB core database", () => {
  it("serves a prepared file, and DuckDB itself refuses every write", async () => {
    const path = await prepare("prepared.duckdb", async (db) => {
      await db.query(insertSource, ["analytics", "/analytics.duckdb"]);
    });
    const before = await readFile(path);
    const db = await open({ kind: "duckdb", path, readOnly: true });
    expect(db.readOnly).toBe(true);
    expect(await sourceNames(db)).toEqual(["analytics"]);
    await expect(db.query(insertSource, ["more", "/more.duckdb"])).rejects.toThrow(/read-only mode/u);
    await expect(db.query("CREATE TABLE t (id INTEGER)")).rejects.toThrow(/read-only mode/u);
    await db.close();
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it("may be opened by several readers at once", async () => {
    const path = await prepare("shared.duckdb");
    const [a, b] = [
      await open({ kind: "duckdb", path, readOnly: true }),
      await open({ kind: "duckdb", path, readOnly: true }),
    ];
    expect(await a.query("SELECT count(*) AS n FROM roles")).toEqual(
      await b.query("SELECT count(*) AS n FROM roles"),
    );
  });
});

describe("a DuckDB core database that cannot be used", () => {
  const refusal = (settings: CoreDbConfig): Promise<string> =>
    openCoreDb(settings, { logger: silent }).then(
      async (db) => {
        await db.close();
        throw new Error("expected the core database to be refused");
      },
      (error: Error) => error.message,
    );

  it("names CORE_DB_PATH when the path is a folder", async () => {
    await mkdir(join(folder, "folder.duckdb"));
    for (const readOnly of [false, true]) {
      expect(await refusal(config("folder.duckdb", readOnly))).toBe(
        `CORE_DB_PATH: the DuckDB core database ${join(folder, "folder.duckdb")} is a folder; ` +
          "a DuckDB core database is a file such as /data/core.duckdb",
      );
    }
    expect(await readdir(join(folder, "folder.duckdb"))).toEqual([]);
  });

  it("names CORE_DB_PATH when the file is not a DuckDB database, and leaves it as it was", async () => {
    const path = join(folder, "text.duckdb");
    await writeFile(path, "name,type\nanalytics,postgres\n");
    for (const readOnly of [false, true]) {
      expect(await refusal(config("text.duckdb", readOnly))).toMatch(
        /^CORE_DB_PATH: the DuckDB core database .*text\.duckdb is not a DuckDB database file$/u,
      );
    }
    expect(await readFile(path, "utf8")).toBe("name,type\nanalytics,postgres\n");
    expect((await readdir(folder)).filter((f) => f.startsWith("text."))).toEqual(["text.duckdb"]);
  });

  it("creates nothing when a read-only node's file does not exist", async () => {
    expect(await refusal(config("missing.duckdb", true))).toMatch(
      /^CORE_DB_PATH: the DuckDB core database .*missing\.duckdb does not exist; a read-only node .*core-db export/u,
    );
    expect((await readdir(folder)).filter((f) => f.startsWith("missing."))).toEqual([]);
  });

  it("creates a new writable file's folder, as the embedded default in a new data folder needs", async () => {
    const db = await openCoreDb(config(join("new-data", "sub", "core.duckdb")), { logger: silent });
    await db.close();
    expect(await readdir(join(folder, "new-data", "sub"))).toContain("core.duckdb");
  });

  it("refuses, read-only, a DuckDB file without hugr's schema, and leaves it as it was", async () => {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const stranger = join(folder, "stranger.duckdb");
    const instance = await DuckDBInstance.create(stranger);
    (await instance.connect()).closeSync();
    instance.closeSync();
    const before = await readFile(stranger);
    expect(await refusal({ kind: "duckdb", path: stranger, readOnly: true })).toBe(
      "CORE_DB_PATH: the read-only core database has no hugr schema (schema_version is missing); " +
        "create the file with `hugr-worker core-db export --to <file.duckdb>`",
    );
    expect((await readFile(stranger)).equals(before)).toBe(true);
  });
});
