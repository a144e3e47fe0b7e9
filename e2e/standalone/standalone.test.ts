import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import postgres from "postgres";
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
import { createEventsDatabase, EVENTS_SDL } from "../scenarios/events-source.js";
import { REDIS_PASSWORD, startStandaloneTopology, type Topology } from "./topology.js";

/**
 * The reference's compose topology (management, two work nodes, PostgreSQL, Redis, nginx) with every
 * cluster query and mutation of the reference page sent, unchanged, to the load balancer: what a user
 * of that compose file does. Then what the reference promises of its L2 cache there: a cached answer
 * shared by both work nodes, dropped on both by a write, and a Redis password that stays out of the logs.
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

/**
 * The compose file's L2 (Redis with `requirepass`, CACHE_L2_* on both work nodes), with a data source
 * on the topology's PostgreSQL: a row changed there in SQL, behind the engine, shows whether an answer
 * came from the cache (the old row) or from the database (the new one).
 */
describe("the compose topology's L2 cache on Redis", () => {
  const SOURCE = "cached_events";
  /** The table `events` of the source, under the source's prefix. */
  const QUERY = `{ pg_events(filter: { id: { eq: 1 } }) @cache(ttl: 60) { id name } }`;
  const row = (name: string) => ({ pg_events: [{ id: 1, name }] });
  /** The superuser's connection to the source's database: the test's way around the engine. */
  let events: postgres.Sql;

  interface Answer {
    data: unknown;
    /** The response's Cache-Control, null when none (an answer read from the database). */
    cacheControl: string | null;
  }

  async function ask(url: string, query: string): Promise<Answer> {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors, `${JSON.stringify(body.errors)}\n${topology.logs()}`).toBeUndefined();
    expect(response.status).toBe(200);
    return { data: body.data, cacheControl: response.headers.get("cache-control") };
  }
  /** Through nginx. */
  const viaLb = (query: string): Promise<Answer> => {
    sent++;
    return ask(topology.lb, query);
  };
  /** To one work node directly. */
  const viaNode = (worker: { name: string; url: string }, query: string): Promise<Answer> => {
    direct.set(worker.name, (direct.get(worker.name) ?? 0) + 1);
    return ask(worker.url, query);
  };

  /** The sum of a metric's samples with these labels on a work node's /metrics. */
  async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split("\n")) {
      const sample = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
      if (!sample || sample[1] !== name) continue;
      const own = new Map([...(sample[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(labels).every(([label, value]) => own.get(label) === value))
        sum += Number(sample[3]);
    }
    return sum;
  }
  /** hugr_cache_hits_total of both work nodes together, both levels. */
  const cacheHits = async (): Promise<number> =>
    (await Promise.all(topology.workers.map((w) => metric(w.url, "hugr_cache_hits_total")))).reduce(
      (a, b) => a + b,
      0,
    );
  /** Runs `send` and returns it with the work node that served it (its /graphql count grew). */
  async function servedBy<T>(send: () => Promise<T>): Promise<{ answer: T; node: string }> {
    const counts = await Promise.all(topology.workers.map((w) => graphqlRequests(w.url)));
    const answer = await send();
    const after = await Promise.all(topology.workers.map((w) => graphqlRequests(w.url)));
    const grew = topology.workers.filter((_, i) => after[i]! > counts[i]!);
    expect(grew, "exactly one work node served the request").toHaveLength(1);
    return { answer, node: grew[0]!.name };
  }
  /** The cached query results in Redis (the workers' cluster namespace; not the role lookups). */
  async function resultKeys(): Promise<string[]> {
    const out = await topology.redis.cli("--scan", "--pattern", "hugr:*:v:result:*");
    return out === "" ? [] : out.split("\n");
  }
  async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const maxAge = (answer: Answer): number =>
    Number(/^private, max-age=(\d+)$/.exec(answer.cacheControl ?? "")?.[1] ?? Number.NaN);

  beforeAll(async () => {
    const pg = topology.postgres;
    if (!pg) throw new Error("the compose topology runs on PostgreSQL");
    const url = await createEventsDatabase(pg, "cached_events");
    events = postgres(url, { max: 1, onnotice: () => {} });
    await data(ADD_DATA_SOURCE, {
      data: {
        name: SOURCE,
        type: "postgres",
        prefix: "pg",
        description: "The events table on the topology's PostgreSQL",
        path: url,
        as_module: false,
        read_only: false,
        disabled: false,
        catalogs: [{ name: SOURCE, type: "text", description: "events", path: EVENTS_SDL }],
      },
    });
    expect(await outcome("load_data_source", LOAD_DATA_SOURCE(SOURCE))).toEqual({
      success: true,
      message: "load_data_source: done on 2 node(s)",
    });
  });

  afterAll(async () => {
    await events?.end({ timeout: 5 });
  });

  it("answers a @cache(ttl:) query sent twice through nginx from the cache the second time, on either node", async () => {
    expect(await resultKeys()).toEqual([]);
    const before = await cacheHits();
    const l2HitsBefore = new Map(
      await Promise.all(
        topology.workers.map(
          async (w) => [w.name, await metric(w.url, "hugr_cache_hits_total", { level: "l2" })] as const,
        ),
      ),
    );
    const first = await servedBy(() => viaLb(QUERY));
    expect(first.answer).toEqual({ data: row("first"), cacheControl: null });
    const afterFirst = await cacheHits();
    // The loading node writes the result to Redis after answering.
    await eventually("the result in Redis", async () => (await resultKeys()).length === 1);

    await events`update events set name = 'changed behind the engine' where id = 1`;
    const second = await viaLb(QUERY);
    expect(second.data).toEqual(row("first"));
    expect(second.cacheControl).toMatch(/^private, max-age=\d+$/);
    expect(maxAge(second)).toBeGreaterThan(0);
    expect(maxAge(second)).toBeLessThanOrEqual(60);
    // Every request reads the role's permissions through the cache too: the second request counts
    // one hit more than the first, its result.
    expect((await cacheHits()) - afterFirst).toBeGreaterThan(afterFirst - before);

    // Asked directly, each node answers from the cache: the node that did not load it, from Redis.
    for (const worker of topology.workers) {
      const answer = await viaNode(worker, QUERY);
      expect(answer.data, worker.name).toEqual(row("first"));
      expect(maxAge(answer), worker.name).toBeLessThanOrEqual(60);
    }
    const other = topology.workers.find((w) => w.name !== first.node)!;
    expect(await metric(other.url, "hugr_cache_hits_total", { level: "l2" })).toBeGreaterThan(
      l2HitsBefore.get(other.name)!,
    );
  });

  it("drops the cached result on both work nodes when a write goes through nginx", async () => {
    expect(await resultKeys()).toHaveLength(1);
    const write = await servedBy(() =>
      data<{ update_pg_events: { affected_rows: number } }>(
        `mutation { update_pg_events(filter: { id: { eq: 1 } }, data: { name: "written through nginx" }) { affected_rows } }`,
      ),
    );
    expect(write.answer.update_pg_events.affected_rows).toBe(1);
    // Dropped from Redis before the write was answered.
    expect(await resultKeys()).toEqual([]);

    const writer = topology.workers.find((w) => w.name === write.node)!;
    const other = topology.workers.find((w) => w.name !== write.node)!;
    // The writing node dropped its own L1 before answering: read from the database.
    expect(await viaNode(writer, QUERY)).toEqual({ data: row("written through nginx"), cacheControl: null });
    // The other node drops its L1 copy when the writer's message arrives over Redis pub/sub, which the
    // writer publishes before answering but the other node applies on its own time (docs/cache.md).
    let stale = 0;
    await eventually(`${other.name} to answer the written row`, async () => {
      const answer = await viaNode(other, QUERY);
      if (JSON.stringify(answer.data) === JSON.stringify(row("written through nginx"))) return true;
      stale++;
      return false;
    });
    expect(stale, "stale answers from the other node before its L1 copy was dropped").toBeLessThan(5);
    // Through nginx, whichever node answers, the answer is the written row.
    for (let i = 0; i < 2; i++) expect((await viaLb(QUERY)).data).toEqual(row("written through nginx"));
  });

  it("keeps the Redis password out of every process log, and Redis refuses clients without it", async () => {
    const logs = `${topology.logs()}\n${await readFile(topology.accessLog, "utf8")}`;
    // Not vacuous: each node logged (JSON lines).
    for (const service of ["management", "worker-1", "worker-2"]) expect(logs).toContain(`--- ${service}\n{`);
    expect(logs).not.toContain(REDIS_PASSWORD);
    // Both nodes authenticated: no credentials error, no outage.
    expect(logs).not.toMatch(/refused the credentials|L2 cache .* is unavailable/);
    const { REDISCLI_AUTH: _inherited, ...env } = process.env;
    const { stdout } = await promisify(execFile)(
      "redis-cli",
      ["-h", "127.0.0.1", "-p", String(topology.redis.port), "get", "anything"],
      { env },
    );
    expect(stdout).toMatch(/NOAUTH/);
  });

  it("unloads and deletes the data source", async () => {
    expect(await outcome("unload_data_source", UNLOAD_DATA_SOURCE(SOURCE))).toEqual({
      success: true,
      message: "unload_data_source: done on 2 node(s)",
    });
    const deleted = await data<{ core: { delete_data_sources: { name: string }[] } }>(DELETE_DATA_SOURCE, {
      name: SOURCE,
    });
    expect(deleted.core.delete_data_sources).toEqual([{ name: SOURCE }]);
  });
});
