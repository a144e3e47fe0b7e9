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

  it("gives the core tables what the engine gives every table: relations, _by_pk, aggregations", async () => {
    const sql = async (text: string): Promise<Record<string, unknown>[]> => node.worker.db.query(text);
    const data = (await dataOf(`{ core {
      catalog_sources(order_by: [{ field: "name" }]) { name data_sources { name } }
      data_sources(filter: { name: { in: ["analytics", "sales"] } }) { name catalogs_aggregation { _rows_count } }
      data_sources_aggregation(filter: { disabled: { eq: false } }) { _rows_count type { count min max } }
      data_source_catalogs_by_pk(data_source_name: "sales", catalog_name: "sales_events") {
        data_source { name } catalog { type } }
    } }`)) as { core: Record<string, unknown> };
    const links = await sql(
      "SELECT catalog_name, data_source_name FROM data_source_catalogs ORDER BY catalog_name, data_source_name",
    );
    const catalogs = await sql("SELECT name FROM catalog_sources ORDER BY name");
    expect(data.core["catalog_sources"]).toEqual(
      catalogs.map((c) => ({
        name: c["name"],
        data_sources: links
          .filter((l) => l["catalog_name"] === c["name"])
          .map((l) => ({ name: l["data_source_name"] })),
      })),
    );
    const perSource = (name: string): number => links.filter((l) => l["data_source_name"] === name).length;
    expect(data.core["data_sources"]).toEqual([
      { name: "analytics", catalogs_aggregation: { _rows_count: perSource("analytics") } },
      { name: "sales", catalogs_aggregation: { _rows_count: perSource("sales") } },
    ]);
    const [enabled] = await sql(
      "SELECT count(*) AS n, min(type) AS min, max(type) AS max FROM data_sources WHERE NOT disabled",
    );
    expect(data.core["data_sources_aggregation"]).toEqual({
      _rows_count: Number(enabled!["n"]),
      type: { count: Number(enabled!["n"]), min: enabled!["min"], max: enabled!["max"] },
    });
    expect(data.core["data_source_catalogs_by_pk"]).toEqual({
      data_source: { name: "sales" },
      catalog: { type: "text" },
    });

    // One document, compiled once (engine/graphql/statement.ts), answers each request's variables.
    const BY_NAME = `query($n: [String!]) { core { data_sources(filter: { name: { in: $n } }) { name } } }`;
    for (const names of [["analytics"], ["sales", "Shop"], [], ["analytics"]]) {
      const answer = (await dataOf(BY_NAME, { n: names })) as { core: { data_sources: { name: string }[] } };
      expect(answer.core.data_sources.map((d) => d.name)).toEqual([...names].sort());
    }
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

  it("serves hugr's authorization tables, seeded, related, and never shows a stored API key", async () => {
    const seeded = (await dataOf(`{ core {
      roles { name can_impersonate }
      role_permissions { role type_name field_name disabled }
    } }`)) as { core: Record<string, unknown> };
    expect(seeded.core["roles"]).toEqual([
      { name: "admin", can_impersonate: true },
      { name: "public", can_impersonate: false },
      { name: "readonly", can_impersonate: false },
    ]);
    // hugr's seed (readonly runs no mutation), and ours: the core module is for roles granted it.
    const refused = (role: string) => [
      { role, type_name: "_module_core_function", field_name: "*", disabled: true },
      { role, type_name: "_module_core_function", field_name: "auth", disabled: false },
      ...["_module_core_function_mutation", "_module_core_mutation", "_module_core_query"].map(
        (type_name) => ({
          role,
          type_name,
          field_name: "*",
          disabled: true,
        }),
      ),
    ];
    expect(seeded.core["role_permissions"]).toEqual([
      ...refused("public"),
      { role: "readonly", type_name: "Mutation", field_name: "*", disabled: true },
      ...refused("readonly"),
    ]);

    const KEY = "hk_live_7f3a9c2e5b1d";
    const created = (await dataOf(
      `mutation($p: role_permissions_mut_input_data!, $k: api_keys_mut_input_data!) { core {
        insert_roles(data: { name: "analyst", description: "Reads sales" }) { name disabled }
        insert_role_permissions(data: $p) { role type_name field_name filter data role_info { name } }
        insert_api_keys(data: $k) { name key default_role role_info { name } }
      } }`,
      {
        p: {
          role: "analyst",
          type_name: "sales_orders",
          field_name: "*",
          filter: { region: { eq: "[$auth.user_id]" } },
          data: { created_by: "[$auth.user_name]" },
        },
        k: { name: "ci", key: KEY, default_role: "analyst", headers: { "x-user": "ci" } },
      },
    )) as { core: Record<string, unknown> };
    expect(created.core).toEqual({
      insert_roles: { name: "analyst", disabled: false },
      insert_role_permissions: {
        role: "analyst",
        type_name: "sales_orders",
        field_name: "*",
        filter: { region: { eq: "[$auth.user_id]" } },
        data: { created_by: "[$auth.user_name]" },
        role_info: { name: "analyst" },
      },
      insert_api_keys: { name: "ci", key: "***", default_role: "analyst", role_info: { name: "analyst" } },
    });
    // Stored as given, shown by no query.
    expect(await node.worker.db.query("SELECT key FROM api_keys WHERE name = 'ci'")).toEqual([{ key: KEY }]);
    const read = await node.gql(`{ core {
      api_keys { key }
      api_keys_by_pk(name: "ci") { key }
      roles_by_pk(name: "analyst") { permissions { type_name } api_keys { name key } }
    } }`);
    expect(JSON.stringify(read.body)).not.toContain(KEY);
    expect(read.body.data).toEqual({
      core: {
        api_keys: [{ key: "***" }],
        api_keys_by_pk: { key: "***" },
        roles_by_pk: { permissions: [{ type_name: "sales_orders" }], api_keys: [{ name: "ci", key: "***" }] },
      },
    });

    const changed = (await dataOf(`mutation { core {
      update_roles(filter: { name: { eq: "analyst" } }, data: { disabled: true }) { name disabled }
      update_api_keys(filter: { name: { eq: "ci" } }, data: { description: "CI pipeline" }) { name description key }
    } }`)) as { core: Record<string, unknown> };
    expect(changed.core).toEqual({
      update_roles: [{ name: "analyst", disabled: true }],
      update_api_keys: [{ name: "ci", description: "CI pipeline", key: "***" }],
    });
    const deleted = (await dataOf(`mutation { core {
      delete_api_keys(filter: { name: { eq: "ci" } }) { name key }
      delete_role_permissions(filter: { role: { eq: "analyst" } }) { type_name }
      delete_roles(filter: { name: { eq: "analyst" } }) { name permissions { type_name } }
    } }`)) as { core: Record<string, unknown> };
    expect(deleted.core).toEqual({
      delete_api_keys: [{ name: "ci", key: "***" }],
      delete_role_permissions: [{ type_name: "sales_orders" }],
      delete_roles: [{ name: "analyst", permissions: [] }],
    });
    expect(await node.worker.db.query("SELECT name FROM roles WHERE name = 'analyst'")).toEqual([]);
  });

  it("runs the mutation fields of one request in order, each committed on its own", async () => {
    // A role (written by the engine) and a data source (written by the node's writer) in one request:
    // on a single-connection core database (PGlite, DuckDB) neither may hold the other up.
    const data = await dataOf(`mutation { core {
      first: insert_roles(data: { name: "ordered" }) { name }
      source: insert_data_sources(data: { name: "ordered_source", type: "duckdb", path: "/o.duckdb" }) { name }
      gone: delete_roles(filter: { name: { eq: "ordered" } }) { name }
      again: delete_roles(filter: { name: { eq: "ordered" } }) { name }
      dropped: delete_data_sources(filter: { name: { eq: "ordered_source" } }) { name }
    } }`);
    expect(data).toEqual({
      core: {
        first: { name: "ordered" },
        source: { name: "ordered_source" },
        gone: [{ name: "ordered" }],
        again: [],
        dropped: [{ name: "ordered_source" }],
      },
    });
    const failed = await node.gql(`mutation { core {
      kept: insert_roles(data: { name: "kept" }) { name }
      twice: insert_roles(data: { name: "kept" }) { name }
    } }`);
    expect(failed.body.errors?.[0]?.extensions?.["code"]).toBe("ALREADY_EXISTS");
    expect(await node.worker.db.query("SELECT name FROM roles WHERE name = 'kept'")).toEqual([
      { name: "kept" },
    ]);
    await dataOf(`mutation { core { delete_roles(filter: { name: { eq: "kept" } }) { name } } }`);
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
