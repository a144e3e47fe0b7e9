import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DELETE_DATA_SOURCE,
  LIST_DATA_SOURCES,
  UPDATE_DATA_SOURCE,
} from "../../worker/test/reference-queries.js";
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
} from "../cluster/reference-cluster-queries.js";
import { loadableSource, REFERENCE_LOAD_FAILURE } from "../../worker/test/harness/loadable-source.js";
import { graphql } from "../harness/processes.js";
import { startStandaloneTopology, type Topology } from "./topology.js";

/**
 * The reference's compose topology (management, two work nodes, PostgreSQL, nginx) with every cluster
 * query and mutation of the reference page sent, unchanged, to the load balancer: what a user of that
 * compose file does.
 */
let topology: Topology;
/** GraphQL requests sent through the load balancer, and each worker's /graphql count before them. */
let sent = 0;
const before = new Map<string, number>();
/** GraphQL requests sent to a work node directly, by node name (to check what each node serves). */
const direct = new Map<string, number>();
/** A source every node can load: the reference's own points at a database that only compose has. */
const EVENTS = loadableSource("events");

interface NodeRow {
  name: string;
  version: string;
  url: string;
  ready: boolean;
  last_seen: string;
  error: string;
}
interface Storage {
  node: string;
  name: string;
  type: string;
  scope: string[];
  Parameters: string;
}
type Outcome = { success: boolean; message: string };
type ClusterMutation<K extends string> = { function: { core: { cluster: Record<K, Outcome> } } };

/** Runs a GraphQL document through the load balancer and returns its data, failing on any error. */
async function data<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  sent++;
  const { status, body } = await graphql<T>(topology.lb, query, variables);
  expect(body.errors, `${JSON.stringify(body.errors)}\n${topology.logs()}`).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

async function outcome<K extends string>(
  key: K,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Outcome> {
  return (await data<ClusterMutation<K>>(query, variables)).function.core.cluster[key];
}

async function statuses(name: string): Promise<Record<string, string>> {
  const result = await data<{
    function: { core: { cluster: { data_source_status: { node: string; status: string }[] } } };
  }>(DATA_SOURCE_STATUS(name));
  return Object.fromEntries(result.function.core.cluster.data_source_status.map((s) => [s.node, s.status]));
}

/** Sends `query` to every work node directly (not through nginx) and returns each node's response. */
async function onEveryNode(query: string): Promise<Record<string, unknown>> {
  const answers = await Promise.all(
    topology.workers.map(async (worker) => {
      direct.set(worker.name, (direct.get(worker.name) ?? 0) + 1);
      return [worker.name, (await graphql(worker.url, query)).body] as const;
    }),
  );
  return Object.fromEntries(answers);
}

/** The worker's hugr_http_requests_total for route /graphql, all methods and statuses. */
async function graphqlRequests(workerUrl: string): Promise<number> {
  const metrics = await (await fetch(`${workerUrl}/metrics`)).text();
  return [...metrics.matchAll(/^hugr_http_requests_total\{[^}]*route="\/graphql"[^}]*\} (\d+)$/gm)]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  topology = await startStandaloneTopology();
  for (const worker of topology.workers) before.set(worker.name, await graphqlRequests(worker.url));
});

afterAll(async () => {
  await topology?.stop();
});

describe("the reference's compose topology behind nginx", () => {
  it("answers nginx's own /health", async () => {
    const response = await fetch(`${topology.lb}/health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("healthy\n");
  });

  it("lists both work nodes as ready, through the view and the function", async () => {
    const view = await data<{ core: { cluster: { cluster_nodes: NodeRow[] } } }>(CLUSTER_NODES_VIEW);
    const nodes = view.core.cluster.cluster_nodes;
    expect(nodes.map((n) => [n.name, n.url, n.ready, n.error])).toEqual(
      topology.workers.map((w) => [w.name, w.url, true, ""]),
    );
    expect(nodes.every((n) => n.version === "0.1.0")).toBe(true);
    expect(Date.parse(nodes[0]!.last_seen)).toBeGreaterThan(Date.now() - 60_000);
    const fn = await data<{ function: { core: { cluster: { nodes: NodeRow[] } } } }>(NODES_FUNCTION);
    expect(fn.function.core.cluster.nodes.map((n) => [n.name, n.ready])).toEqual([
      ["worker-1", true],
      ["worker-2", true],
    ]);
  });

  it("adds the reference's data source and lists it", async () => {
    const added = await data<{ core: { insert_data_sources: Record<string, unknown> } }>(
      ADD_DATA_SOURCE,
      ADD_DATA_SOURCE_VARIABLES,
    );
    expect(added.core.insert_data_sources).toMatchObject({
      name: "analytics",
      type: "postgres",
      description: "Analytics database",
      path: "postgres://user:***@postgres:5432/analytics",
      catalogs: [{ name: "analytics_schema", type: "uri", path: "/workspace/analytics/schema" }],
    });
    const listed = await data<{ core: { data_sources: { name: string; prefix: string }[] } }>(
      LIST_DATA_SOURCES,
    );
    expect(listed.core.data_sources.map((d) => [d.name, d.prefix])).toEqual([["analytics", "an"]]);
  });

  it("loads and unloads it on every node, reporting per-node status", async () => {
    // The reference's database exists only in the compose file: each node fails to reach it, and says so.
    expect(await statuses("analytics")).toEqual({ "worker-1": "detached", "worker-2": "detached" });
    const failed = await outcome("load_data_source", LOAD_DATA_SOURCE("analytics"));
    expect(failed.success).toBe(false);
    expect(failed.message).toMatch(/^load_data_source: failed on 2 of 2 node\(s\): /);
    for (const name of ["worker-1", "worker-2"]) {
      expect(failed.message).toMatch(
        new RegExp(`${name}: data source 'analytics' failed to load: ${REFERENCE_LOAD_FAILURE.source}`),
      );
    }
    expect(failed.message).not.toContain("password");
    expect(await statuses("analytics")).toEqual({ "worker-1": "error", "worker-2": "error" });
    expect(await outcome("unload_data_source", UNLOAD_DATA_SOURCE("analytics"))).toEqual({
      success: true,
      message: "unload_data_source: done on 2 node(s)",
    });
    expect(await statuses("analytics")).toEqual({ "worker-1": "detached", "worker-2": "detached" });

    // A source both nodes can reach loads everywhere and is served by each node.
    await data(ADD_DATA_SOURCE, { data: EVENTS.data });
    expect(await outcome("load_data_source", LOAD_DATA_SOURCE("events"))).toEqual({
      success: true,
      message: "load_data_source: done on 2 node(s)",
    });
    expect(await statuses("events")).toEqual({ "worker-1": "attached", "worker-2": "attached" });
    expect(await onEveryNode(EVENTS.query)).toEqual({
      "worker-1": { data: EVENTS.answer },
      "worker-2": { data: EVENTS.answer },
    });
    expect(await outcome("unload_data_source", UNLOAD_DATA_SOURCE("events"))).toEqual({
      success: true,
      message: "unload_data_source: done on 2 node(s)",
    });
    expect(await statuses("events")).toEqual({ "worker-1": "detached", "worker-2": "detached" });
  });

  it("updates the data source", async () => {
    const updated = await data<{ core: { update_data_sources: Record<string, unknown>[] } }>(
      UPDATE_DATA_SOURCE,
      { name: "analytics", data: { description: "Analytics database (replica)", disabled: true } },
    );
    expect(updated.core.update_data_sources).toMatchObject([
      { name: "analytics", description: "Analytics database (replica)", disabled: true },
    ]);
  });

  it("registers object storage on every node, literally and with variables, and unregisters it", async () => {
    expect(await outcome("register_object_storage", REGISTER_STORAGE)).toEqual({
      success: true,
      message: "register_object_storage: done on 2 node(s)",
    });
    const view = await data<{ core: { cluster: { registered_storages: Storage[] } } }>(
      REGISTERED_STORAGES_VIEW,
    );
    expect(view.core.cluster.registered_storages.map((s) => [s.node, s.name, s.type, s.scope])).toEqual([
      ["worker-1", "minio-storage", "s3", ["my-bucket"]],
      ["worker-2", "minio-storage", "s3", ["my-bucket"]],
    ]);
    expect(JSON.stringify(view)).not.toContain("minioadmin");
    const fn = await data<{ function: { core: { cluster: { storages: Storage[] } } } }>(STORAGES_FUNCTION);
    expect(fn.function.core.cluster.storages).toEqual(view.core.cluster.registered_storages);

    expect(
      await outcome("register_object_storage", REGISTER_STORAGE_WITH_VARIABLES, REGISTER_STORAGE_VARIABLES),
    ).toEqual({ success: true, message: "register_object_storage: done on 2 node(s)" });
    expect(await outcome("unregister_object_storage", UNREGISTER_STORAGE)).toEqual({
      success: true,
      message: "unregister_object_storage: done on 2 node(s)",
    });
    const after = await data<{ core: { cluster: { registered_storages: Storage[] } } }>(
      REGISTERED_STORAGES_VIEW,
    );
    expect(after.core.cluster.registered_storages).toEqual([]);
  });

  it("deletes the data source", async () => {
    for (const name of ["analytics", "events"]) {
      const deleted = await data<{ core: { delete_data_sources: { name: string }[] } }>(DELETE_DATA_SOURCE, {
        name,
      });
      expect(deleted.core.delete_data_sources).toEqual([{ name }]);
    }
    const listed = await data<{ core: { data_sources: unknown[] } }>(LIST_DATA_SOURCES);
    expect(listed.core.data_sources).toEqual([]);
  });

  it("serves the AdminUI through the load balancer", async () => {
    const response = await fetch(`${topology.lb}/admin`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    expect(await response.text()).toContain("Hugr AdminUI");
  });

  it("spread the GraphQL requests over both work nodes", async () => {
    const served = await Promise.all(
      topology.workers.map(
        async (w) => (await graphqlRequests(w.url)) - (before.get(w.name) ?? 0) - (direct.get(w.name) ?? 0),
      ),
    );
    // Every request through nginx (the ones sent to a node directly left out) reached exactly one
    // node, and each node got a share (least_conn with one request at a time falls back to round robin).
    expect(served.reduce((a, b) => a + b, 0)).toBe(sent);
    for (const count of served) expect(count).toBeGreaterThan(0);
  });
});
