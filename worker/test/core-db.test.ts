import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, parseWorkerConfig } from "../src/index.js";
import {
  currentVersion,
  insertDataSource,
  LATEST_VERSION,
  migrate,
  openCoreDb,
  withReadCache,
  type CachedCoreDb,
  type CoreDb,
} from "@hugr/coredb";
import {
  forSource,
  loadableSource,
  REFERENCE_LOAD_FAILURE,
  type LoadDataSourceData,
} from "./harness/loadable-source.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { startInProcessWorker } from "./harness/worker.js";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DELETE_DATA_SOURCE,
  LOAD_DATA_SOURCE,
} from "./reference-queries.js";

const logger = createLogger("silent");
let pg: PostgresInstance;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => pg?.stop());

async function open(url: string, readOnly = false): Promise<CoreDb> {
  const config = parseWorkerConfig({ CORE_DB_PATH: url, CORE_DB_READONLY: String(readOnly) });
  return openCoreDb(config.coreDb, { logger, connectTimeoutMs: 2_000 });
}

describe("migrations", () => {
  it("apply once when several nodes start at the same moment", async () => {
    const url = await pg.createDatabase("concurrent_start");
    const nodes = await Promise.all(Array.from({ length: 6 }, () => open(url)));
    try {
      const [db] = nodes;
      const versions = await db!.query<{ version: number }>(
        "SELECT version FROM schema_version ORDER BY version",
      );
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
      const roles = await db!.query<{ name: string }>("SELECT name FROM roles ORDER BY name");
      expect(roles.map((r) => r.name)).toEqual(["admin", "public", "readonly"]);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  it("are idempotent: a second run applies nothing", async () => {
    const url = await pg.createDatabase("idempotent");
    const db = await open(url);
    try {
      expect(await migrate(db)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION, applied: [] });
      expect(await currentVersion(db)).toBe(LATEST_VERSION);
    } finally {
      await db.close();
    }
  });

  it("roll back entirely when a migration fails", async () => {
    const url = await pg.createDatabase("failing");
    const db = await open(url);
    try {
      const broken = [
        {
          version: LATEST_VERSION + 1,
          name: "broken",
          statements: ["CREATE TABLE half_done (id int)", "SELECT * FROM no_such_table"],
        },
      ];
      await expect(migrate(db, broken)).rejects.toThrow(/no_such_table/);
      expect(await currentVersion(db)).toBe(LATEST_VERSION);
      expect(await db.query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  });
});

describe("read-only core database", () => {
  it("refuses to start on a database without the hugr schema", async () => {
    const url = await pg.createDatabase("empty_readonly");
    await expect(open(url, true)).rejects.toThrow(/no hugr schema/);
  });

  it("serves reads and refuses every write with CORE_DB_READ_ONLY, changing nothing", async () => {
    const url = await pg.createDatabase("readonly");
    const events = loadableSource("events");
    const writer = await startInProcessWorker({ CORE_DB_PATH: url });
    expect((await writer.gql(ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES)).body.errors).toBeUndefined();
    expect((await writer.gql(ADD_DATA_SOURCE, { data: events.data })).body.errors).toBeUndefined();
    await writer.close();

    const reader = await startInProcessWorker({ CORE_DB_PATH: url, CORE_DB_READONLY: "true" });
    try {
      const list = await reader.gql(`{ core { data_sources { name } } }`);
      expect(list.body).toEqual({
        data: { core: { data_sources: [{ name: "analytics" }, { name: "events" }] } },
      });
      const writes = [
        reader.gql(ADD_DATA_SOURCE, { data: { ...ADD_DATA_SOURCE_VARIABLES.data, name: "other" } }),
        reader.gql(
          `mutation { core { update_data_sources(filter: {}, data: { description: "x" }) { name } } }`,
        ),
        reader.gql(DELETE_DATA_SOURCE, { name: "analytics" }),
      ];
      for (const { body } of await Promise.all(writes)) {
        expect(body.errors?.[0]?.extensions?.code).toBe("CORE_DB_READ_ONLY");
        expect(body.errors?.[0]?.message).toMatch(/CORE_DB_READONLY=true/);
      }
      // Loading is node state, not a write: a read-only node still attaches sources, and serves them.
      const load = await reader.gql(forSource(LOAD_DATA_SOURCE, "events"));
      expect(load.body.data).toEqual({
        function: {
          core: { load_data_source: { success: true, message: "data source 'events' loaded" } },
        },
      });
      expect((await reader.gql(events.query)).body).toEqual({ data: events.answer });
      // The reference's own database is unreachable here: its load fails, still without writing.
      const failed = await reader.gql<LoadDataSourceData>(LOAD_DATA_SOURCE);
      expect(failed.body.data?.function.core.load_data_source.success).toBe(false);
      expect(failed.body.data?.function.core.load_data_source.message).toMatch(REFERENCE_LOAD_FAILURE);
      // The server enforces it too, behind the repository's check.
      await expect(reader.worker.db.query("DELETE FROM data_sources")).rejects.toThrow(
        /read-only transaction/,
      );
      const rows = await reader.worker.db.query<{ name: string; description: string }>(
        "SELECT name, description FROM data_sources ORDER BY name",
      );
      expect(rows).toEqual([
        { name: "analytics", description: "Analytics database" },
        { name: "events", description: events.data.description },
      ]);
    } finally {
      await reader.close();
    }
  });
});

describe("the read cache of core tables", () => {
  // The core module's listing reads through cachedQuery (core-module/engine.ts).
  const names = async (db: CachedCoreDb): Promise<string[]> =>
    (await db.cachedQuery<{ name: string }>("SELECT name FROM data_sources ORDER BY name")).map(
      (d) => d.name,
    );

  it("reuses reads, drops them on this node's writes, and on other nodes' writes through NOTIFY", async () => {
    const url = await pg.createDatabase("read_cache");
    // A TTL far beyond the test's length: only invalidation can make a change visible.
    const options = { ttlMs: 600_000, maxEntries: 100, logger };
    const [a, b] = [withReadCache(await open(url), options), withReadCache(await open(url), options)];
    try {
      await b.startListening();
      expect(await names(b)).toEqual([]);

      // A change behind hugr's back (plain SQL, no NOTIFY) is not seen while the answer is cached.
      await a.query("INSERT INTO data_sources (name, type, path) VALUES ('direct', 'postgres', '/x')");
      expect(await names(b)).toEqual([]);

      // A write through a node invalidates that node at once...
      await insertDataSource(a, { name: "through_a", type: "duckdb", path: "/a.duckdb" });
      expect(await names(a)).toEqual(["direct", "through_a"]);
      // ...and every listening node when the notification arrives.
      await expect.poll(() => names(b), { timeout: 10_000 }).toEqual(["direct", "through_a"]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
