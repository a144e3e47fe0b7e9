import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openCoreDb, type CoreDb } from "@hugr/coredb";
import { parseWorkerConfig } from "../src/index.js";
import {
  MANAGED_CONFIG,
  STANDALONE_CONFIG,
  startManagementDouble,
  type ManagementDouble,
} from "./harness/management.js";
import { coreDbBackends } from "./harness/core-db-backends.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import {
  freePort,
  startInProcessWorker,
  type GraphQLResponse,
  type InProcessWorker,
} from "./harness/worker.js";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DELETE_DATA_SOURCE,
  LIST_DATA_SOURCES,
  UPDATE_DATA_SOURCE,
} from "./reference-queries.js";

/**
 * A work node of a Kubernetes-managed cluster (NodeClusterConfig.managed = "kubernetes") never
 * writes data sources itself: the core module's mutations go to the management node, which writes
 * the rows through the custom resources' reconcile. Here the management node is a real signed HTTP
 * server written for the test (harness/management.ts) that writes rows as the reconcile would.
 */
const SECRET = "managed-cluster-secret-for-tests";
const PASSWORD = "s3cr3t-pw";
const SECRET_PATH = `postgres://user:${PASSWORD}@db.internal:5432/sales`;

const INSERT = `mutation($d: data_sources_mut_input_data!) {
  core { insert_data_sources(data: $d) { name type prefix description path as_module self_defined read_only disabled
    catalogs { name type description path } } }
}`;
const UPDATE = `mutation($f: data_sources_filter!, $d: data_sources_mut_data!) {
  core { update_data_sources(filter: $f, data: $d) { name prefix description path disabled catalogs { name } } }
}`;
const DELETE = `mutation($f: data_sources_filter!) {
  core { delete_data_sources(filter: $f) { name description catalogs { name } } }
}`;

/**
 * Each core database back end a cluster node can write through, with the handle the "operator"
 * writes with. A cluster node refuses a writable DuckDB file (one writer per file).
 */
const backends = coreDbBackends()
  .filter((backend) => backend.name !== "duckdb")
  .map((backend) => ({
    ...backend,
    /**
     * PostgreSQL: a connection of its own and no read cache, like the operator, whose writes do not
     * pass through the node (so the node must not answer from its cache after a change). PGlite is
     * embedded: one process, one handle.
     */
    operatorDb: async (node: InProcessWorker, coreDbPath: string): Promise<CoreDb> =>
      backend.name === "postgres"
        ? openCoreDb(parseWorkerConfig({ CORE_DB_PATH: coreDbPath }).coreDb, { logger: silentLogger })
        : node.worker.db,
  }));

const silentLogger = { info: () => undefined, warn: () => undefined };

async function clusterEnv(management: ManagementDouble, coreDbPath: string): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    CORE_DB_PATH: coreDbPath,
    CLUSTER_SECRET: SECRET,
    CLUSTER_MANAGEMENT_URL: management.url,
    CLUSTER_NODE_NAME: `node-${port}`,
    CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: "debug",
  };
}

function errorOf(response: GraphQLResponse): { message: string; code: string | undefined } {
  expect(response.body.errors, JSON.stringify(response.body)).toHaveLength(1);
  const [error] = response.body.errors!;
  return { message: error!.message, code: error!.extensions?.code };
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.each(backends)("data source mutations on a Kubernetes-managed node ($name)", (backend) => {
  let coreDbPath: string;
  let management: ManagementDouble;
  let node: InProcessWorker;
  let operatorDb: CoreDb;
  const logs: string[] = [];

  const dataOf = async (
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    const { status, body } = await node.gql(query, variables);
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(status).toBe(200);
    return body.data as Record<string, unknown>;
  };
  const rows = async (): Promise<unknown[]> =>
    node.worker.db.query(
      "SELECT name, type, prefix, description, path, disabled FROM data_sources ORDER BY name",
    );

  beforeAll(async () => {
    coreDbPath = await backend.setup();
    management = await startManagementDouble(SECRET);
    node = await startInProcessWorker(await clusterEnv(management, coreDbPath), {
      logDestination: { write: (line) => void logs.push(line) },
    });
    await node.worker.converged;
    operatorDb = await backend.operatorDb(node, coreDbPath);
    management.db = operatorDb;
  });
  afterEach(() => {
    management.refusal = undefined;
    management.outcome = undefined;
    management.annotate = false;
  });
  afterAll(async () => {
    await node?.close();
    if (operatorDb && operatorDb !== node?.worker.db) await operatorDb.close();
    await management?.close();
    await backend.teardown();
  });

  it("inserts through the management node and returns the row its reconcile wrote", async () => {
    // A listing the node may keep in its read cache: the insert must not leave it stale.
    expect(await dataOf(LIST_DATA_SOURCES)).toEqual({ core: { data_sources: [] } });
    management.annotate = true;
    const data = await dataOf(ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES);
    expect(data).toEqual({
      core: {
        insert_data_sources: {
          name: "analytics",
          type: "postgres",
          description: "Analytics database [reconciled]",
          path: "postgres://user:***@postgres:5432/analytics",
          catalogs: [{ name: "analytics_schema", type: "uri", path: "/workspace/analytics/schema" }],
        },
      },
    });
    // The whole definition, defaults filled, the real path: the operator keeps it in a Secret.
    expect(management.puts).toEqual([
      {
        name: "analytics",
        type: "postgres",
        prefix: "an",
        description: "Analytics database",
        path: "postgres://user:password@postgres:5432/analytics",
        as_module: true,
        self_defined: false,
        read_only: false,
        disabled: false,
        catalogs: [
          {
            name: "analytics_schema",
            type: "uri",
            description: "Analytics schema definitions",
            path: "/workspace/analytics/schema",
          },
        ],
      },
    ]);
    const listed = (await dataOf(LIST_DATA_SOURCES)) as { core: { data_sources: { name: string }[] } };
    expect(listed.core.data_sources.map((d) => d.name)).toEqual(["analytics"]);
  });

  it("refuses bad input and existing names before calling the management node", async () => {
    const before = management.calls.length;
    const cases: [string, Record<string, unknown>, string][] = [
      [INSERT, { d: { name: "bad-name", type: "postgres", path: "/x" } }, "INVALID_INPUT"],
      [INSERT, { d: { name: "x", type: "oracle", path: "/x" } }, "INVALID_INPUT"],
      [INSERT, { d: { name: "x", type: "duckdb", path: " " } }, "INVALID_INPUT"],
      [
        INSERT,
        { d: { name: "x", type: "duckdb", path: "/x", catalogs: [{ name: "c", type: "ftp", path: "/c" }] } },
        "INVALID_INPUT",
      ],
      [INSERT, { d: { name: "analytics", type: "duckdb", path: "/x" } }, "ALREADY_EXISTS"],
      [
        INSERT,
        {
          d: {
            name: "x",
            type: "duckdb",
            path: "/x",
            catalogs: [{ name: "analytics_schema", type: "uri", path: "/another/path" }],
          },
        },
        "ALREADY_EXISTS",
      ],
      [UPDATE, { f: { name: { eq: "analytics" } }, d: {} }, "INVALID_INPUT"],
      [UPDATE, { f: { name: { eq: "analytics" } }, d: { prefix: "not-an-identifier" } }, "INVALID_INPUT"],
      [UPDATE, { f: { name: { eq: "analytics" } }, d: { path: null } }, "INVALID_INPUT"],
      [UPDATE, { f: { name: { regex: "([" } }, d: { description: "x" } }, "INVALID_FILTER"],
      [DELETE, { f: { name: { regex: "([" } } }, "INVALID_FILTER"],
    ];
    for (const [query, variables, code] of cases) {
      expect(errorOf(await node.gql(query, variables)).code, JSON.stringify(variables)).toBe(code);
    }
    expect(management.calls.slice(before)).toEqual([]);
    expect(await rows()).toHaveLength(1);
  });

  it("turns a refusal into a coded GraphQL error and writes nothing", async () => {
    const before = await rows();
    management.refusal = {
      status: 409,
      code: "CONFLICT",
      message: "field spec.description of HugrDataSource hugr/analytics is managed by argocd",
    };
    const insert = errorOf(
      await node.gql(INSERT, { d: { name: "sales", type: "postgres", path: "postgres://h/sales" } }),
    );
    expect(insert.code).toBe("MANAGEMENT_CONFLICT");
    expect(insert.message).toContain("while inserting data source 'sales'");
    expect(insert.message).toContain("managed by argocd");
    const update = errorOf(
      await node.gql(UPDATE_DATA_SOURCE, { name: "analytics", data: { description: "changed" } }),
    );
    expect(update.code).toBe("MANAGEMENT_CONFLICT");
    expect(errorOf(await node.gql(DELETE_DATA_SOURCE, { name: "analytics" })).code).toBe(
      "MANAGEMENT_CONFLICT",
    );
    expect(management.calls.slice(-3)).toEqual(["PUT sales", "PUT analytics", "DELETE analytics"]);
    expect(await rows()).toEqual(before);

    management.refusal = { status: 503, code: "RECONCILE_TIMEOUT", message: "reconcile still running" };
    const timeout = errorOf(
      await node.gql(UPDATE_DATA_SOURCE, { name: "analytics", data: { disabled: true } }),
    );
    expect(timeout.code).toBe("MANAGEMENT_RECONCILE_TIMEOUT");
    expect(await rows()).toEqual(before);
  });

  it("updates by filter with full definitions and returns the rows as re-read", async () => {
    await dataOf(INSERT, {
      d: {
        name: "sales",
        type: "postgres",
        prefix: "s",
        description: "Sales",
        path: "postgres://h/sales",
        catalogs: [{ name: "sales_schema", type: "text", path: "type t { id: Int! }" }],
      },
    });
    await dataOf(INSERT, { d: { name: "files", type: "duckdb", path: "/data/files.duckdb" } });
    const before = management.puts.length;
    management.annotate = true;
    const data = await dataOf(UPDATE, {
      f: { type: { eq: "postgres" } },
      d: { description: "Reporting", prefix: null, disabled: true },
    });
    expect(data).toEqual({
      core: {
        update_data_sources: [
          {
            name: "analytics",
            prefix: "",
            description: "Reporting [reconciled]",
            path: "postgres://user:***@postgres:5432/analytics",
            disabled: true,
            catalogs: [{ name: "analytics_schema" }],
          },
          {
            name: "sales",
            prefix: "",
            description: "Reporting [reconciled]",
            path: "postgres://h/sales",
            disabled: true,
            catalogs: [{ name: "sales_schema" }],
          },
        ],
      },
    });
    expect(management.puts.slice(before)).toEqual([
      {
        name: "analytics",
        type: "postgres",
        prefix: "",
        description: "Reporting",
        path: "postgres://user:password@postgres:5432/analytics",
        as_module: true,
        self_defined: false,
        read_only: false,
        disabled: true,
        catalogs: [
          {
            name: "analytics_schema",
            type: "uri",
            description: "Analytics schema definitions",
            path: "/workspace/analytics/schema",
          },
        ],
      },
      {
        name: "sales",
        type: "postgres",
        prefix: "",
        description: "Reporting",
        path: "postgres://h/sales",
        as_module: false,
        self_defined: false,
        read_only: false,
        disabled: true,
        catalogs: [{ name: "sales_schema", type: "text", description: "", path: "type t { id: Int! }" }],
      },
    ]);
    const untouched = await dataOf(`{ core { data_sources_by_pk(name: "files") { description disabled } } }`);
    expect(untouched).toEqual({ core: { data_sources_by_pk: { description: "", disabled: false } } });
  });

  it("names what already changed when a later change of the same update is refused", async () => {
    const before = management.calls.length;
    // The second PUT of this update is refused: the first one stands.
    management.refusal = (call) =>
      call === "PUT sales" ? { status: 422, code: "INVALID", message: "spec refused" } : undefined;
    const error = errorOf(
      await node.gql(UPDATE, { f: { type: { eq: "postgres" } }, d: { description: "Partly" } }),
    );
    expect(error.code).toBe("MANAGEMENT_INVALID");
    expect(error.message).toContain("while updating data source 'sales' (already changed: analytics)");
    expect(management.calls.slice(before)).toEqual(["PUT analytics", "PUT sales"]);
    const descriptions = await node.worker.db.query<{ name: string; description: string }>(
      "SELECT name, description FROM data_sources WHERE type = 'postgres' ORDER BY name",
    );
    expect(descriptions).toEqual([
      { name: "analytics", description: "Partly" },
      { name: "sales", description: "Reporting [reconciled]" },
    ]);
  });

  it("never shows or logs a password of a path, whatever the management node answers", async () => {
    const echo = `spec.path: Invalid value: "${SECRET_PATH}": must be a Secret reference (password ${PASSWORD})`;
    management.refusal = { status: 422, code: "INVALID", message: echo };
    const refused = errorOf(
      await node.gql(INSERT, { d: { name: "vault", type: "postgres", path: SECRET_PATH } }),
    );
    expect(refused.code).toBe("MANAGEMENT_INVALID");
    expect(refused.message).toContain("postgres://user:***@db.internal:5432/sales");
    expect(refused.message).not.toContain(PASSWORD);
    management.refusal = undefined;

    // Accepted, but a node failed to load it: the change stands, a warning is logged.
    management.outcome = {
      success: false,
      message: `node-b: cannot connect to ${SECRET_PATH}`,
      nodes: [{ node: "node-b", success: false, error: `cannot connect to ${SECRET_PATH}`, durationMs: 3 }],
    };
    const data = await dataOf(INSERT, { d: { name: "vault", type: "postgres", path: SECRET_PATH } });
    expect(data).toEqual({
      core: {
        insert_data_sources: expect.objectContaining({
          name: "vault",
          path: "postgres://user:***@db.internal:5432/sales",
        }) as unknown,
      },
    });
    expect(management.puts.at(-1)?.path).toBe(SECRET_PATH);
    const warning = logs.find((line) => line.includes("data source changed, but not on every node"));
    expect(warning).toContain("node-b: cannot connect to postgres://user:***@db.internal:5432/sales");

    management.refusal = { status: 409, code: "CONFLICT", message: `cannot delete ${SECRET_PATH}` };
    const deletion = errorOf(await node.gql(DELETE_DATA_SOURCE, { name: "vault" }));
    expect(deletion.message).not.toContain(PASSWORD);
    expect(logs.join("\n")).not.toContain(PASSWORD);
  });

  it("deletes through the management node and returns the rows as they were", async () => {
    const data = await dataOf(DELETE, { f: { name: { in: ["sales", "vault"] } } });
    expect(data).toEqual({
      core: {
        delete_data_sources: [
          { name: "sales", description: "Reporting [reconciled]", catalogs: [{ name: "sales_schema" }] },
          { name: "vault", description: "", catalogs: [] },
        ],
      },
    });
    expect(management.calls.slice(-2)).toEqual(["DELETE sales", "DELETE vault"]);
    expect((await rows()).map((r) => (r as { name: string }).name)).toEqual(["analytics", "files"]);
    expect(
      await node.worker.db.query("SELECT name FROM catalog_sources WHERE name = 'sales_schema'"),
    ).toEqual([]);
    // Nothing matched: nothing sent.
    const before = management.calls.length;
    expect(await dataOf(DELETE, { f: { name: { eq: "nope" } } })).toEqual({
      core: { delete_data_sources: [] },
    });
    expect(management.calls.length).toBe(before);
  });

  it("writes directly again when a heartbeat says the cluster is not managed, and back", async () => {
    management.config = STANDALONE_CONFIG;
    await eventually(
      () => management.appliedVersion() === STANDALONE_CONFIG.version,
      "the standalone config",
    );
    const before = management.calls.length;
    await dataOf(INSERT, { d: { name: "direct", type: "duckdb", path: "/data/direct.duckdb" } });
    // Written by the node itself; the management node is only told to keep it unloaded, as today.
    expect(management.calls.slice(before)).toEqual(["UNLOAD direct"]);
    expect(await node.worker.db.query("SELECT name FROM data_sources WHERE name = 'direct'")).toEqual([
      { name: "direct" },
    ]);

    management.config = MANAGED_CONFIG;
    await eventually(() => management.appliedVersion() === MANAGED_CONFIG.version, "the managed config");
    management.refusal = { status: 409, code: "CONFLICT", message: "owned by flux" };
    expect(errorOf(await node.gql(DELETE_DATA_SOURCE, { name: "direct" })).code).toBe("MANAGEMENT_CONFLICT");
    expect(await node.worker.db.query("SELECT name FROM data_sources WHERE name = 'direct'")).toHaveLength(1);
  });
});

describe("a managed node with a read-only core database", () => {
  let postgresInstance: PostgresInstance;
  let management: ManagementDouble;
  let writer: InProcessWorker | undefined;
  let reader: InProcessWorker | undefined;

  beforeAll(async () => {
    postgresInstance = await startPostgres();
    management = await startManagementDouble(SECRET);
    // A writable node migrates the database first; the read-only one then only reads it.
    writer = await startInProcessWorker({ CORE_DB_PATH: postgresInstance.url });
    await writer.close();
    writer = undefined;
    reader = await startInProcessWorker({
      ...(await clusterEnv(management, postgresInstance.url)),
      CORE_DB_READONLY: "true",
      LOG_LEVEL: "silent",
    });
    await reader.worker.converged;
  });
  afterAll(async () => {
    await reader?.close();
    await writer?.close();
    await management?.close();
    await postgresInstance?.stop();
  });

  it("refuses every data source mutation with CORE_DB_READ_ONLY before anything else", async () => {
    const cases: [string, Record<string, unknown>][] = [
      [INSERT, { d: { name: "bad-name", type: "oracle", path: "" } }],
      [INSERT, { d: ADD_DATA_SOURCE_VARIABLES.data }],
      [UPDATE, { f: { name: { regex: "([" } }, d: {} }],
      [DELETE, { f: { name: { eq: "analytics" } } }],
    ];
    for (const [query, variables] of cases) {
      expect(errorOf(await reader!.gql(query, variables)).code).toBe("CORE_DB_READ_ONLY");
    }
    expect(management.calls).toEqual([]);
  });
});
