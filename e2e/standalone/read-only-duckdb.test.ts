import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DELETE_DATA_SOURCE,
  LIST_DATA_SOURCES,
  UPDATE_DATA_SOURCE,
} from "../../worker/test/reference-queries.js";
import { loadableSource } from "../../worker/test/harness/loadable-source.js";
import { startPostgres } from "../../worker/test/harness/postgres.js";
import {
  DATA_SOURCE_STATUS,
  LOAD_DATA_SOURCE,
  UNLOAD_DATA_SOURCE,
} from "../cluster/reference-cluster-queries.js";
import { graphql, runToExit, startWorker } from "../harness/processes.js";
import { startStandaloneTopology, type Topology } from "./topology.js";

/**
 * The reference's two-worker compose topology on one prepared DuckDB file, as the reference
 * describes DuckDB clusters ("read-only mode ... prepare the database file before starting the
 * cluster"): the file is prepared the documented way (a node on PostgreSQL, then
 * `hugr-worker core-db export`), and both work nodes open it with CORE_DB_READONLY=true.
 */
let topology: Topology;
let folder: string;
const EVENTS = loadableSource("events");

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "hugr-duckdb-cluster-"));
  const file = join(folder, "core.duckdb");
  const pg = await startPostgres();
  try {
    const node = await startWorker("preparing", { env: { CORE_DB_PATH: pg.url, LOG_LEVEL: "warn" } });
    try {
      for (const variables of [ADD_DATA_SOURCE_VARIABLES, { data: EVENTS.data }]) {
        const { body } = await graphql(node.url, ADD_DATA_SOURCE, variables);
        expect(body.errors).toBeUndefined();
      }
    } finally {
      await node.stop();
    }
    const exported = await runToExit(
      "worker",
      { CORE_DB_PATH: pg.url },
      { args: ["core-db", "export", "--to", file] },
    );
    expect(exported.code, exported.output).toBe(0);
  } finally {
    await pg.stop();
  }
  topology = await startStandaloneTopology({ duckDbFile: file });
});

afterAll(async () => {
  await topology?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function gql(query: string, variables?: Record<string, unknown>) {
  return (await graphql(topology.lb, query, variables)).body;
}

describe("the compose topology on a read-only DuckDB core database", () => {
  it("answers the reference's list query from the prepared file", async () => {
    const body = await gql(LIST_DATA_SOURCES);
    expect(body.errors).toBeUndefined();
    const listed = (body.data as { core: { data_sources: Record<string, unknown>[] } }).core.data_sources;
    expect(listed.map((d) => d["name"])).toEqual(["analytics", "events"]);
    expect(listed[0]).toMatchObject({
      path: "postgres://user:***@postgres:5432/analytics",
      catalogs: [{ name: "analytics_schema", type: "uri", path: "/workspace/analytics/schema" }],
    });
  });

  it("refuses every write with CORE_DB_READ_ONLY, changing nothing", async () => {
    for (const [query, variables] of [
      [ADD_DATA_SOURCE, { data: { ...ADD_DATA_SOURCE_VARIABLES.data, name: "another" } }],
      [UPDATE_DATA_SOURCE, { name: "analytics", data: { description: "changed" } }],
      [DELETE_DATA_SOURCE, { name: "events" }],
      [`mutation { core { insert_roles(data: { name: "analyst" }) { name } } }`, undefined],
    ] as const) {
      const body = await gql(query, variables);
      expect(body.errors?.[0]?.extensions?.["code"], query).toBe("CORE_DB_READ_ONLY");
    }
    const after = await gql(`{ core { data_sources { name description } roles { name } } }`);
    expect(after.data).toEqual({
      core: {
        data_sources: [
          { name: "analytics", description: "Analytics database" },
          { name: "events", description: "Events computed by an in-memory DuckDB" },
        ],
        roles: [{ name: "admin" }, { name: "public" }, { name: "readonly" }],
      },
    });
  });

  it("loads a data source on every node and serves it from each", async () => {
    const load = await gql(LOAD_DATA_SOURCE("events"));
    expect(load.data).toEqual({
      function: {
        core: {
          cluster: { load_data_source: { success: true, message: "load_data_source: done on 2 node(s)" } },
        },
      },
    });
    const status = await gql(DATA_SOURCE_STATUS("events"));
    expect(status.data).toEqual({
      function: {
        core: {
          cluster: {
            data_source_status: [
              { node: "worker-1", status: "attached", error: "" },
              { node: "worker-2", status: "attached", error: "" },
            ],
          },
        },
      },
    });
    for (const worker of topology.workers) {
      expect((await graphql(worker.url, EVENTS.query)).body).toEqual({ data: EVENTS.answer });
    }
    const unload = await gql(UNLOAD_DATA_SOURCE("events"));
    expect(unload.errors).toBeUndefined();
  });
});
