import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { startClusterWorker, startManagement, type RunningProcess } from "../harness/processes.js";

/**
 * The cache across a standalone cluster without a shared L2 (each node's L1 only): a node's
 * invalidation reaches the others through the management node, which relays it to every ready node
 * before the writing request is answered. So a result cached on node 2 is dropped by a write through
 * node 1, and node 2's very next answer is fresh. Separate processes on a PostgreSQL core database.
 */
const CLUSTER_SECRET = `cluster-${randomBytes(12).toString("hex")}`;
const CACHED = `{ core { data_sources @cache(ttl: 600) { name } } }`;

let pg: PostgresInstance;
let management: RunningProcess;
let workers: RunningProcess[] = [];

interface Answer {
  names: string[];
  /** The response's Cache-Control, present when it was answered from the cache. */
  cacheControl: string | null;
}

async function post(node: RunningProcess, query: string): Promise<Response> {
  return fetch(`${node.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
  });
}

async function listed(node: RunningProcess): Promise<Answer> {
  const response = await post(node, CACHED);
  const body = (await response.json()) as {
    data?: { core: { data_sources: { name: string }[] } };
    errors?: unknown;
  };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return {
    names: (body.data?.core.data_sources ?? []).map((s) => s.name).sort(),
    cacheControl: response.headers.get("cache-control"),
  };
}

async function run(node: RunningProcess, query: string): Promise<void> {
  const response = await post(node, query);
  const body = (await response.json()) as { errors?: unknown };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
}

const insert = (name: string) =>
  `mutation { core { insert_data_sources(data: {name: "${name}", type: "duckdb", prefix: "${name}", path: "/nonexistent/${name}.duckdb"}) { name } } }`;

async function startNode(name: string): Promise<RunningProcess> {
  return startClusterWorker(name, {
    management,
    secret: CLUSTER_SECRET,
    coreDb: pg.url,
    timeout: "2s",
    env: { CACHE_L1_ENABLED: "true" },
  });
}

beforeAll(async () => {
  pg = await startPostgres();
  management = await startManagement({
    env: { CLUSTER_SECRET, CORE_DB_PATH: await pg.createDatabase("management"), CHECK: "1s", TIMEOUT: "2s" },
  });
  workers = await Promise.all(["worker-1", "worker-2"].map(startNode));
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await management?.stop();
  await pg?.stop();
});

describe("L1 invalidation relayed by the management node", () => {
  it("a write through one node drops the other node's cached result before it is answered", async () => {
    const [one, two] = workers as [RunningProcess, RunningProcess];
    // Node 2 caches the listing: its second answer comes from its L1.
    expect((await listed(two)).names).toEqual([]);
    const cached = await listed(two);
    expect(cached.names).toEqual([]);
    expect(cached.cacheControl).toMatch(/max-age=\d+/);

    await run(one, insert("relayed"));
    const fresh = await listed(two);
    expect(fresh.names).toEqual(["relayed"]);
    expect(fresh.cacheControl, "read from the database, not the cache").toBeNull();
  });

  it("invalidate(tags:) on one node drops the tagged results of the other", async () => {
    const [one, two] = workers as [RunningProcess, RunningProcess];
    const tagged = `{ core { data_sources @cache(ttl: 600, tags: ["listing"]) { name } } }`;
    await run(two, tagged);
    const hit = await post(two, tagged);
    expect(hit.headers.get("cache-control")).toMatch(/max-age=\d+/);
    await run(one, `{ function { core { cache { invalidate(tags: ["listing"]) { success } } } } }`);
    const miss = await post(two, tagged);
    expect(miss.headers.get("cache-control")).toBeNull();
  });
});
