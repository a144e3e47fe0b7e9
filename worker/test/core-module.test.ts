import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  forSource,
  loadableSource,
  REFERENCE_LOAD_FAILURE,
  type LoadDataSourceData,
} from "./harness/loadable-source.js";
import { coreDbBackends } from "./harness/core-db-backends.js";
import { startInProcessWorker, type InProcessWorker } from "./harness/worker.js";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DATA_SOURCE_STATUS,
  DELETE_DATA_SOURCE,
  LIST_DATA_SOURCES,
  LOAD_DATA_SOURCE,
  UNLOAD_DATA_SOURCE,
  UPDATE_DATA_SOURCE,
} from "./reference-queries.js";

const backends = coreDbBackends();

describe.each(backends)("core module on $name", (backend) => {
  let coreDbPath: string;
  let node: InProcessWorker;

  beforeAll(async () => {
    coreDbPath = await backend.setup();
    node = await startInProcessWorker({ CORE_DB_PATH: coreDbPath });
  });
  afterAll(async () => {
    await node?.close();
    await backend.teardown();
  });

  const dataOf = async (
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    const { status, body } = await node.gql(query, variables);
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(status).toBe(200);
    return body.data as Record<string, unknown>;
  };

  it("adds the reference data source with its catalog, masking the DSN password", async () => {
    const data = await dataOf(ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES);
    expect(data).toEqual({
      core: {
        insert_data_sources: {
          name: "analytics",
          type: "postgres",
          description: "Analytics database",
          path: "postgres://user:***@postgres:5432/analytics",
          catalogs: [{ name: "analytics_schema", type: "uri", path: "/workspace/analytics/schema" }],
        },
      },
    });
  });

  it("lists data sources as the reference shows", async () => {
    const data = await dataOf(LIST_DATA_SOURCES);
    expect(data).toEqual({
      core: {
        data_sources: [
          {
            name: "analytics",
            type: "postgres",
            description: "Analytics database",
            prefix: "an",
            path: "postgres://user:***@postgres:5432/analytics",
            disabled: false,
            catalogs: [{ name: "analytics_schema", type: "uri", path: "/workspace/analytics/schema" }],
          },
        ],
      },
    });
  });

  it("reports true attach state through load, status and unload", async () => {
    const status = async (document = DATA_SOURCE_STATUS): Promise<string> =>
      ((await dataOf(document)) as { function: { core: { data_source_status: string } } }).function.core
        .data_source_status;
    // The reference's database is unreachable here: the load fails cleanly and the node says why.
    expect(await status()).toBe("detached");
    const failed = (await dataOf(LOAD_DATA_SOURCE)) as LoadDataSourceData;
    expect(failed.function.core.load_data_source.success).toBe(false);
    expect(failed.function.core.load_data_source.message).toMatch(
      new RegExp(`^data source 'analytics' failed to load: ${REFERENCE_LOAD_FAILURE.source}$`),
    );
    expect(await status()).toMatch(new RegExp(`^error: ${REFERENCE_LOAD_FAILURE.source}$`));
    expect(JSON.stringify(failed) + (await status())).not.toContain("password");
    expect(node.worker.dataSources.attached()).toEqual([]);
    expect(await dataOf(UNLOAD_DATA_SOURCE)).toEqual({
      function: {
        core: { unload_data_source: { success: true, message: "data source 'analytics' unloaded" } },
      },
    });
    expect(await status()).toBe("detached");

    // A source the node can reach goes through the same documents and is really served.
    await dataOf(ADD_DATA_SOURCE, { data: EVENTS.data });
    expect(await status(EVENTS_STATUS)).toBe("detached");
    expect(await dataOf(LOAD_EVENTS)).toEqual({
      function: { core: { load_data_source: { success: true, message: "data source 'events' loaded" } } },
    });
    expect(await status(EVENTS_STATUS)).toBe("attached");
    expect(node.worker.dataSources.attached()).toEqual(["events"]);
    expect(await dataOf(EVENTS.query)).toEqual(EVENTS.answer);
    expect(await dataOf(UNLOAD_EVENTS)).toEqual({
      function: { core: { unload_data_source: { success: true, message: "data source 'events' unloaded" } } },
    });
    expect(await status(EVENTS_STATUS)).toBe("detached");
    expect((await node.gql(EVENTS.query)).body.errors?.[0]?.message).toMatch(/Cannot query field "events"/);
  });

  it("refuses to load unknown or disabled data sources with a coded error", async () => {
    const unknown = await node.gql(
      `mutation { function { core { load_data_source(name: "nope") { success } } } }`,
    );
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("DATA_SOURCE_NOT_FOUND");
    await dataOf(UPDATE_DATA_SOURCE, { name: "analytics", data: { disabled: true } });
    const disabled = await node.gql(LOAD_DATA_SOURCE);
    expect(disabled.body.errors?.[0]?.extensions?.code).toBe("DATA_SOURCE_DISABLED");
    await dataOf(UPDATE_DATA_SOURCE, { name: "analytics", data: { disabled: false } });
  });

  it("updates a data source and returns the changed rows", async () => {
    const data = await dataOf(UPDATE_DATA_SOURCE, {
      name: "analytics",
      data: { description: "Analytics (replica)", path: "postgres://reader@replica:5432/analytics" },
    });
    expect(data).toEqual({
      core: {
        update_data_sources: [
          {
            name: "analytics",
            description: "Analytics (replica)",
            path: "postgres://reader@replica:5432/analytics",
            disabled: false,
          },
        ],
      },
    });
  });

  it("filters, orders and pages with hugr's operators", async () => {
    // Real sources (the enabled ones are loaded at the restart below), each with its own prefix.
    for (const { data } of SERVED_AT_START) await dataOf(ADD_DATA_SOURCE, { data });
    await dataOf(ADD_DATA_SOURCE, {
      data: { ...loadableSource("files", { prefix: "files" }).data, disabled: true },
    });
    const names = async (args: string): Promise<string[]> => {
      const data = (await dataOf(`{ core { data_sources${args} { name } } }`)) as {
        core: { data_sources: { name: string }[] };
      };
      return data.core.data_sources.map((d) => d.name);
    };
    expect(await names(`(filter: { type: { eq: "duckdb" } })`)).toEqual(["Shop", "events", "files", "sales"]);
    expect(await names(`(filter: { name: { in: ["sales", "files", "x"] } })`)).toEqual(["files", "sales"]);
    expect(await names(`(filter: { name: { like: "s%" } })`)).toEqual(["sales"]);
    expect(await names(`(filter: { name: { ilike: "s%" } })`)).toEqual(["Shop", "sales"]);
    expect(await names(`(filter: { name: { regex: "^[a-f]" } })`)).toEqual(["analytics", "events", "files"]);
    expect(await names(`(filter: { _or: [{ disabled: { eq: true } }, { name: { eq: "sales" } }] })`)).toEqual(
      ["files", "sales"],
    );
    expect(await names(`(filter: { _not: { type: { eq: "duckdb" } } })`)).toEqual(["analytics"]);
    expect(await names(`(filter: { description: { is_null: true } })`)).toEqual([]);
    expect(await names(`(filter: { catalogs: { any_of: { type: { eq: "uri" } } } })`)).toEqual(["analytics"]);
    expect(await names(`(filter: { catalogs: { none_of: { type: { eq: "text" } } } })`)).toEqual([
      "analytics",
    ]);
    expect(await names(`(order_by: [{ field: "type", direction: DESC }, { field: "name" }])`)).toEqual([
      "analytics",
      "Shop",
      "events",
      "files",
      "sales",
    ]);
    expect(await names(`(order_by: [{ field: "name" }], limit: 2, offset: 1)`)).toEqual([
      "analytics",
      "events",
    ]);
  });

  it("rolls back the whole insert when a nested catalog fails", async () => {
    const result = await node.gql(
      `mutation($d: data_sources_mut_input_data!) { core { insert_data_sources(data: $d) { name } } }`,
      {
        d: {
          name: "broken",
          type: "postgres",
          path: "postgres://h/db",
          catalogs: [
            { name: "fresh_catalog", type: "uri", path: "/a" },
            { name: "analytics_schema", type: "uri", path: "/a/different/path" },
          ],
        },
      },
    );
    expect(result.body.errors?.[0]?.extensions?.code).toBe("ALREADY_EXISTS");
    expect(result.body.errors?.[0]?.message).toContain("analytics_schema");
    const rows = await node.worker.db.query(
      "SELECT name FROM data_sources WHERE name = 'broken' UNION ALL SELECT name FROM catalog_sources WHERE name = 'fresh_catalog'",
    );
    expect(rows).toEqual([]);
  });

  it("deletes a data source, detaches it and removes catalogs nobody uses", async () => {
    await dataOf(LOAD_EVENTS);
    expect(node.worker.dataSources.attached()).toEqual(["events"]);
    expect(await dataOf(DELETE_DATA_SOURCE, { name: "events" })).toEqual({
      core: { delete_data_sources: [{ name: "events" }] },
    });
    expect(node.worker.dataSources.attached()).toEqual([]);
    expect((await node.gql(EVENTS.query)).body.errors?.[0]?.message).toMatch(/Cannot query field "events"/);

    const data = await dataOf(DELETE_DATA_SOURCE, { name: "analytics" });
    expect(data).toEqual({ core: { delete_data_sources: [{ name: "analytics" }] } });
    expect(
      await node.worker.db.query("SELECT name FROM catalog_sources WHERE name IN ('analytics_schema', $1)", [
        EVENTS.data.catalogs[0]!.name,
      ]),
    ).toEqual([]);
    const again = await node.gql(DATA_SOURCE_STATUS);
    expect(again.body.errors?.[0]?.extensions?.code).toBe("DATA_SOURCE_NOT_FOUND");
  });

  it("keeps its data across a restart and loads every enabled data source at start", async () => {
    await node.close();
    node = await startInProcessWorker({ CORE_DB_PATH: coreDbPath });
    expect(node.worker.dataSources.attached().sort()).toEqual(["Shop", "sales"]);
    for (const source of SERVED_AT_START) expect(await dataOf(source.query)).toEqual(source.answer);
    const { body } = await node.gql(`{ function { core { data_source_status(name: "files") } } }`);
    expect(body.data).toEqual({ function: { core: { data_source_status: "detached" } } });
  });
});

/**
 * A real source loaded next to hugr's reference example (whose database exists only in hugr's
 * setup), and the reference's function documents naming it.
 */
const EVENTS = loadableSource("events");
const LOAD_EVENTS = forSource(LOAD_DATA_SOURCE, "events");
const UNLOAD_EVENTS = forSource(UNLOAD_DATA_SOURCE, "events");
const EVENTS_STATUS = forSource(DATA_SOURCE_STATUS, "events");

/** The enabled sources "filters, orders and pages" adds, which the node loads when it starts again. */
const SERVED_AT_START = [
  loadableSource("sales", { prefix: "sales" }),
  loadableSource("Shop", { prefix: "shop" }),
];
