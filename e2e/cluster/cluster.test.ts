import { signRequest, SIGNATURE_HEADERS } from "@hugr/protocol";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadableSource, REFERENCE_LOAD_FAILURE } from "../../worker/test/harness/loadable-source.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DELETE_DATA_SOURCE,
  LIST_DATA_SOURCES,
} from "../../worker/test/reference-queries.js";
import {
  eventually,
  freePort,
  graphql,
  startManagement,
  startWorker,
  type RunningProcess,
} from "../harness/processes.js";
import {
  CLUSTER_NODES_VIEW,
  DATA_SOURCE_STATUS,
  LOAD_DATA_SOURCE,
  NODES_FUNCTION,
  REGISTER_STORAGE,
  REGISTER_STORAGE_VARIABLES,
  REGISTER_STORAGE_WITH_VARIABLES,
  REGISTERED_STORAGES_VIEW,
  STORAGES_FUNCTION,
  UNLOAD_DATA_SOURCE,
  UNREGISTER_STORAGE,
} from "./reference-cluster-queries.js";

/**
 * A management node and three work nodes as separate processes on loopback, sharing a real
 * PostgreSQL core database: the reference's standalone topology and the faults it must survive.
 */
const SECRET = "cluster-secret-for-tests";
const CHECK_MS = 1_000;
const TIMEOUT_MS = 1_000;
const REMOVE_AFTER_MS = 4_000;
/** A source every node can load (hugr's reference example points at a database that is not there). */
const EVENTS = loadableSource("events");

let pg: PostgresInstance;
let management: RunningProcess;
let managementEnv: Record<string, string>;
const workers = new Map<string, RunningProcess>();

type Outcome = { success: boolean; message: string };

interface NodeRow {
  name: string;
  version: string;
  url: string;
  ready: boolean;
  last_seen: string;
  error: string;
}

function workerEnv(name: string, port: number, coreDb = pg.url): Record<string, string> {
  return {
    CORE_DB_PATH: coreDb,
    CLUSTER_SECRET: SECRET,
    CLUSTER_MANAGEMENT_URL: management.url,
    CLUSTER_NODE_NAME: name,
    CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
    CLUSTER_TIMEOUT: "1s",
  };
}

async function addWorker(name: string, coreDb?: string): Promise<RunningProcess> {
  const port = await freePort();
  const worker = await startWorker(name, { env: workerEnv(name, port, coreDb), port });
  workers.set(name, worker);
  return worker;
}

async function data<T>(
  worker: RunningProcess,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const { status, body } = await graphql<T>(worker.url, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

async function clusterNodes(via: RunningProcess): Promise<NodeRow[]> {
  return (await data<{ core: { cluster: { cluster_nodes: NodeRow[] } } }>(via, CLUSTER_NODES_VIEW)).core
    .cluster.cluster_nodes;
}

async function statusOn(via: RunningProcess, name: string): Promise<Record<string, string>> {
  const result = await data<{
    function: { core: { cluster: { data_source_status: { node: string; status: string }[] } } };
  }>(via, DATA_SOURCE_STATUS(name));
  return Object.fromEntries(result.function.core.cluster.data_source_status.map((s) => [s.node, s.status]));
}

/** Runs the reference's cluster load_data_source through `via`. */
async function loadVia(via: RunningProcess, name: string): Promise<Outcome> {
  const result = await data<{ function: { core: { cluster: { load_data_source: Outcome } } } }>(
    via,
    LOAD_DATA_SOURCE(name),
  );
  return result.function.core.cluster.load_data_source;
}

/** Asserts that `node` serves the loaded `events` source's data through GraphQL. */
async function expectServesEvents(node: RunningProcess): Promise<void> {
  expect(await data(node, EVENTS.query), node.name).toEqual(EVENTS.answer);
}

/** Asserts that `node` no longer has the `events` source in its schema. */
async function expectNoEvents(node: RunningProcess): Promise<void> {
  const { body } = await graphql(node.url, EVENTS.query);
  expect(body.errors?.[0]?.message, node.name).toMatch(/Cannot query field "events"/);
}

/** Runs `fn` on a short-lived connection (closed afterwards, so stopping PostgreSQL stays quiet). */
async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

function worker(name: string): RunningProcess {
  const found = workers.get(name);
  if (!found) throw new Error(`no worker ${name}`);
  return found;
}

beforeAll(async () => {
  pg = await startPostgres();
  managementEnv = {
    CLUSTER_SECRET: SECRET,
    CORE_DB_PATH: await pg.createDatabase("management"),
    CHECK: `${CHECK_MS}ms`,
    TIMEOUT: `${TIMEOUT_MS}ms`,
    NODE_REMOVE_AFTER: `${REMOVE_AFTER_MS}ms`,
  };
  management = await startManagement({ env: managementEnv });
  await Promise.all(["worker-1", "worker-2", "worker-3"].map((name) => addWorker(name)));
}, 120_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.stop("SIGKILL")));
  await management?.stop("SIGKILL");
  await pg?.stop();
});

describe("a standalone cluster", () => {
  it("registers every node as ready, with its version and URL", async () => {
    const nodes = await clusterNodes(worker("worker-1"));
    expect(nodes.map((n) => [n.name, n.ready, n.version, n.error])).toEqual([
      ["worker-1", true, "0.1.0", ""],
      ["worker-2", true, "0.1.0", ""],
      ["worker-3", true, "0.1.0", ""],
    ]);
    expect(nodes[1]?.url).toBe(worker("worker-2").url);
    expect(Date.parse(nodes[0]?.last_seen ?? "")).toBeGreaterThan(Date.now() - 60_000);
    const viaFunction = await data<{ function: { core: { cluster: { nodes: NodeRow[] } } } }>(
      worker("worker-3"),
      NODES_FUNCTION,
    );
    expect(viaFunction.function.core.cluster.nodes.map((n) => n.name)).toEqual([
      "worker-1",
      "worker-2",
      "worker-3",
    ]);
  });

  it("synchronises data sources: insert on one node, load from another, status everywhere", async () => {
    await data(worker("worker-1"), ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES);
    await data(worker("worker-1"), ADD_DATA_SOURCE, { data: EVENTS.data });
    // A new source stays unloaded cluster-wide until load_data_source.
    expect(await statusOn(worker("worker-2"), "events")).toEqual({
      "worker-1": "detached",
      "worker-2": "detached",
      "worker-3": "detached",
    });
    expect(await loadVia(worker("worker-2"), "events")).toEqual({
      success: true,
      message: "load_data_source: done on 3 node(s)",
    });
    expect(await statusOn(worker("worker-3"), "events")).toEqual({
      "worker-1": "attached",
      "worker-2": "attached",
      "worker-3": "attached",
    });
    for (const node of workers.values()) await expectServesEvents(node);
    const listed = await data<{ core: { data_sources: { name: string }[] } }>(
      worker("worker-3"),
      LIST_DATA_SOURCES,
    );
    expect(listed.core.data_sources.map((d) => d.name)).toEqual(["analytics", "events"]);
  });

  it("reports the reference source's unreachable database as a failure on every node, without its password", async () => {
    const outcome = await loadVia(worker("worker-1"), "analytics");
    expect(outcome.success).toBe(false);
    expect(outcome.message).toMatch(/^load_data_source: failed on 3 of 3 node\(s\): /);
    for (const name of ["worker-1", "worker-2", "worker-3"]) {
      expect(outcome.message).toMatch(
        new RegExp(`${name}: data source 'analytics' failed to load: ${REFERENCE_LOAD_FAILURE.source}`),
      );
    }
    const statuses = await data<{
      function: {
        core: { cluster: { data_source_status: { node: string; status: string; error: string }[] } };
      };
    }>(worker("worker-2"), DATA_SOURCE_STATUS("analytics"));
    for (const row of statuses.function.core.cluster.data_source_status) {
      expect(row.status, row.node).toBe("error");
      expect(row.error, row.node).toMatch(REFERENCE_LOAD_FAILURE);
    }
    expect(JSON.stringify([outcome, statuses])).not.toContain("password");
    // The failed source changed nothing else: the loaded one is still served everywhere.
    for (const node of workers.values()) await expectServesEvents(node);
  });

  it("registers and unregisters object storages on every node, masking credentials", async () => {
    const registered = await data<{
      function: { core: { cluster: { register_object_storage: { success: boolean } } } };
    }>(worker("worker-1"), REGISTER_STORAGE);
    expect(registered.function.core.cluster.register_object_storage.success).toBe(true);
    const again = await data<{
      function: { core: { cluster: { register_object_storage: { success: boolean } } } };
    }>(worker("worker-2"), REGISTER_STORAGE_WITH_VARIABLES, {
      ...REGISTER_STORAGE_VARIABLES,
      secret: "very-secret-s3-key",
    });
    expect(again.function.core.cluster.register_object_storage.success).toBe(true);
    type Storage = { node: string; name: string; type: string; scope: string[]; Parameters: string };
    const view = await data<{ core: { cluster: { registered_storages: Storage[] } } }>(
      worker("worker-3"),
      REGISTERED_STORAGES_VIEW,
    );
    expect(view.core.cluster.registered_storages.map((s) => [s.node, s.name, s.type, s.scope])).toEqual([
      ["worker-1", "minio-storage", "s3", ["my-bucket"]],
      ["worker-2", "minio-storage", "s3", ["my-bucket"]],
      ["worker-3", "minio-storage", "s3", ["my-bucket"]],
    ]);
    const fn = await data<{ function: { core: { cluster: { storages: Storage[] } } } }>(
      worker("worker-1"),
      STORAGES_FUNCTION,
    );
    expect(fn.function.core.cluster.storages).toEqual(view.core.cluster.registered_storages);
    expect(JSON.stringify(view)).not.toMatch(/very-secret-s3-key|minioadmin/);
    const stored = await withSql(managementEnv["CORE_DB_PATH"]!, (sql) => sql`SELECT * FROM object_storages`);
    expect(JSON.stringify(stored)).not.toMatch(/very-secret-s3-key/);
  });

  it("converges a node that joins later to the cluster's state before it is ready", async () => {
    const late = await addWorker("worker-4");
    expect(await statusOn(late, "events")).toMatchObject({ "worker-4": "attached" });
    await expectServesEvents(late);
    // The cluster says 'analytics' is loaded too: the late node tried it, and failed as its peers did.
    expect(await statusOn(late, "analytics")).toMatchObject({ "worker-4": "error" });
    const storages = await data<{ core: { cluster: { registered_storages: { node: string }[] } } }>(
      late,
      REGISTERED_STORAGES_VIEW,
    );
    expect(storages.core.cluster.registered_storages.map((s) => s.node)).toContain("worker-4");
  });

  it("unloads and unregisters everywhere, and a later node stays converged", async () => {
    for (const name of ["events", "analytics"]) {
      const unloaded = await data<{
        function: { core: { cluster: { unload_data_source: { success: boolean } } } };
      }>(worker("worker-4"), UNLOAD_DATA_SOURCE(name));
      expect(unloaded.function.core.cluster.unload_data_source.success).toBe(true);
    }
    const unregistered = await data<{
      function: { core: { cluster: { unregister_object_storage: { success: boolean; message: string } } } };
    }>(worker("worker-1"), UNREGISTER_STORAGE);
    expect(unregistered.function.core.cluster.unregister_object_storage).toEqual({
      success: true,
      message: "unregister_object_storage: done on 4 node(s)",
    });
    for (const name of ["events", "analytics"]) {
      expect(Object.values(await statusOn(worker("worker-1"), name))).toEqual([
        "detached",
        "detached",
        "detached",
        "detached",
      ]);
    }
    for (const node of workers.values()) await expectNoEvents(node);
    const late = await addWorker("worker-5");
    expect((await statusOn(late, "events"))["worker-5"]).toBe("detached");
    await late.stop();
    workers.delete("worker-5");
  });

  it("reports a partial failure as failure and names the failed node", async () => {
    // worker-x reads another core database, where 'events' does not exist.
    const odd = await addWorker("worker-x", await pg.createDatabase("elsewhere"));
    const result = await graphql<{
      function: { core: { cluster: { load_data_source: Outcome } } };
    }>(worker("worker-1").url, LOAD_DATA_SOURCE("events"));
    const outcome = result.body.data?.function.core.cluster.load_data_source;
    expect(outcome?.success).toBe(false);
    expect(outcome?.message).toBe(
      "load_data_source: failed on 1 of 5 node(s): worker-x: data source 'events' not found",
    );
    // Every other node loaded it.
    for (const node of workers.values()) if (node !== odd) await expectServesEvents(node);
    await odd.stop();
    workers.delete("worker-x");
  });

  it("marks a killed node not ready within CHECK + TIMEOUT, leaves it out of operations, then removes it", async () => {
    const victim = worker("worker-4");
    await victim.stop("SIGKILL");
    workers.delete("worker-4");
    await eventually(
      async () => (await clusterNodes(worker("worker-1"))).some((n) => n.name === "worker-4" && !n.ready),
      // The target is CHECK + TIMEOUT; the margin absorbs a busy machine (bench/fanout.ts measures it).
      CHECK_MS + TIMEOUT_MS + 2_000,
      "worker-4 not ready",
    );
    const [dead] = (await clusterNodes(worker("worker-1"))).filter((n) => n.name === "worker-4");
    expect(dead?.error).toMatch(/health check failed/);
    expect(await loadVia(worker("worker-2"), "events")).toEqual({
      success: true,
      message: "load_data_source: done on 3 node(s); 1 not-ready node(s) will converge when ready",
    });
    await eventually(
      async () => !(await clusterNodes(worker("worker-1"))).some((n) => n.name === "worker-4"),
      REMOVE_AFTER_MS + 2 * CHECK_MS + TIMEOUT_MS,
      "worker-4 removed",
    );
  });

  it("deregisters a node on SIGTERM without failing its in-flight request", async () => {
    const leaving = await addWorker("worker-6");
    const blocker = postgres(pg.url, { max: 2, onnotice: () => undefined });
    try {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = blocker.begin(async (tx) => {
        await tx`LOCK TABLE data_sources IN ACCESS EXCLUSIVE MODE`;
        locked();
        await released;
      });
      await isLocked;
      const inFlight = graphql(leaving.url, LIST_DATA_SOURCES);
      await eventually(
        async () => {
          const [row] = await blocker`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`;
          return (row?.["n"] as number) > 0;
        },
        10_000,
        "the request to wait for the lock",
      );
      const exited = leaving.stop("SIGTERM");
      await eventually(
        async () => !(await clusterNodes(worker("worker-1"))).some((n) => n.name === "worker-6"),
        5_000,
        "worker-6 deregistered",
      );
      release();
      await holding;
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect(await exited).toBe(0);
    } finally {
      workers.delete("worker-6");
      await blocker.end();
    }
  });

  it("survives a management restart: workers keep serving, the registry is intact, operations work", async () => {
    await management.stop("SIGKILL");
    const during = await data<{ core: { data_sources: { name: string }[] } }>(
      worker("worker-2"),
      LIST_DATA_SOURCES,
    );
    expect(during.core.data_sources.map((d) => d.name)).toEqual(["analytics", "events"]);
    await expectServesEvents(worker("worker-2"));
    const down = await graphql(worker("worker-2").url, LOAD_DATA_SOURCE("events"));
    expect(down.body.errors?.[0]?.extensions?.code).toBe("MANAGEMENT_UNREACHABLE");

    management = await startManagement({ env: managementEnv, port: management.port });
    const names = (await clusterNodes(worker("worker-1"))).map((n) => n.name);
    expect(names).toEqual(["worker-1", "worker-2", "worker-3"]);
    expect(await loadVia(worker("worker-3"), "events")).toEqual({
      success: true,
      message: "load_data_source: done on 3 node(s)",
    });
  });

  it("re-registers a node the management node forgot", async () => {
    // Simulate a management node that lost its registry (a fresh database): the node learns it at
    // its next heartbeat and registers again.
    await withSql(
      managementEnv["CORE_DB_PATH"]!,
      (sql) => sql`DELETE FROM cluster_nodes WHERE name = 'worker-3'`,
    );
    await management.stop("SIGTERM");
    management = await startManagement({ env: managementEnv, port: management.port });
    await eventually(
      async () => (await clusterNodes(worker("worker-1"))).some((n) => n.name === "worker-3" && n.ready),
      20_000,
      "worker-3 registered again",
    );
  });

  it("deletes a data source through a node and unloads it everywhere", async () => {
    await data(worker("worker-1"), DELETE_DATA_SOURCE, { name: "events" });
    const statuses = await data<{
      function: { core: { cluster: { data_source_status: { status: string; error: string }[] } } };
    }>(worker("worker-2"), DATA_SOURCE_STATUS("events"));
    expect(
      statuses.function.core.cluster.data_source_status.every(
        (s) => s.error === "data source 'events' not found",
      ),
    ).toBe(true);
    for (const node of workers.values()) await expectNoEvents(node);
  });

  it("deletes a source that was never loaded without any node reporting a failure", async () => {
    const scratch = { data: { ...ADD_DATA_SOURCE_VARIABLES.data, name: "scratch", catalogs: [] } };
    await data(worker("worker-1"), ADD_DATA_SOURCE, scratch);
    await data(worker("worker-1"), DELETE_DATA_SOURCE, { name: "scratch" });
    expect(worker("worker-1").output()).not.toContain("cluster unload incomplete");
  });
});

describe("request signing between nodes", () => {
  const body = JSON.stringify({ name: "intruder", url: "http://127.0.0.1:1", version: "9" });

  async function post(
    url: string,
    path: string,
    headers: Record<string, string>,
    payload = body,
  ): Promise<Response> {
    return fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: payload,
    });
  }

  it.each([
    ["no signature", (): Record<string, string> => ({})],
    [
      "a wrong secret",
      () => signRequest("not-the-secret", { method: "POST", pathWithQuery: "/v1/nodes", body }),
    ],
    [
      "a tampered body",
      () =>
        signRequest(SECRET, {
          method: "POST",
          pathWithQuery: "/v1/nodes",
          body: body.replace("intruder", "innocent"),
        }),
    ],
    [
      "a stale timestamp",
      () =>
        signRequest(SECRET, { method: "POST", pathWithQuery: "/v1/nodes", body }, Date.now() - 10 * 60_000),
    ],
  ])("the management API rejects %s with 401 and registers nothing", async (_case, sign) => {
    const response = await post(management.url, "/v1/nodes", sign());
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    expect((await clusterNodes(worker("worker-1"))).map((n) => n.name)).not.toContain("intruder");
  });

  it("rejects a replayed request", async () => {
    const payload = JSON.stringify({
      url: worker("worker-2").url,
      version: "0.1.0",
      ready: true,
      error: "",
      configVersion: "",
    });
    const path = "/v1/nodes/worker-2/heartbeat";
    const headers = signRequest(SECRET, { method: "POST", pathWithQuery: path, body: payload });
    expect((await post(management.url, path, headers, payload)).status).toBe(200);
    expect((await post(management.url, path, headers, payload)).status).toBe(401);
  });

  it("a work node's cluster API rejects unsigned and wrongly signed calls, and unloads nothing", async () => {
    const target = worker("worker-1");
    const path = "/cluster/v1/data-sources/analytics/unload";
    expect((await post(target.url, path, {}, "")).status).toBe(401);
    expect(
      (
        await post(
          target.url,
          path,
          signRequest("nope", { method: "POST", pathWithQuery: path, body: "" }),
          "",
        )
      ).status,
    ).toBe(401);
    const headers = signRequest(SECRET, { method: "POST", pathWithQuery: path, body: "" });
    expect(headers[SIGNATURE_HEADERS.signature]).toMatch(/^v1=/);
  });

  it.each([
    ["a storage spec that is not JSON", "PUT", "/cluster/v1/storages/s3main", "{not json", /not valid JSON/],
    [
      "a storage spec of the wrong shape",
      "PUT",
      "/cluster/v1/storages/s3main",
      '{"name":"s3main"}',
      /type must be/,
    ],
    ["a data source name holding %00", "POST", "/cluster/v1/data-sources/a%00b/load", "", /data source name/],
    ["a storage name holding a slash", "DELETE", "/cluster/v1/storages/a%2Fb", "", /storage name/],
  ])(
    "a work node's cluster API answers %s, signed, with 400 naming the field",
    async (_case, method, path, payload, message) => {
      const target = worker("worker-1");
      const headers = signRequest(SECRET, { method, pathWithQuery: path, body: payload });
      const response = await fetch(`${target.url}${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        ...(payload === "" ? {} : { body: payload }),
      });
      expect(response.status).toBe(400);
      const envelope = (await response.json()) as { error: { code: string; message: string } };
      expect(envelope.error).toMatchObject({ code: "BAD_REQUEST" });
      expect(envelope.error.message).toMatch(message);
    },
  );

  it("never writes a secret to any log", () => {
    const logs = [management, ...workers.values()].map((p) => p.output()).join("\n");
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain("very-secret-s3-key");
    expect(logs).not.toContain("postgres://user:password@");
  });
});
