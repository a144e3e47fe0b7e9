import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { startRedis, type RedisServer } from "../../worker/test/harness/redis.js";
import { SHOP_CATALOG, createShopDatabase, createShopOwner } from "../../worker/test/harness/shop-db.js";
import { ADD_DATA_SOURCE } from "../../worker/test/reference-queries.js";
import {
  eventually,
  startClusterWorker,
  startManagement,
  type RunningProcess,
} from "../harness/processes.js";
import { LOAD_DATA_SOURCE } from "./reference-cluster-queries.js";

/**
 * The cache across a cluster, as separate processes: a management node and two work nodes on a
 * shared PostgreSQL core database, both with L1 and an L2 on a real redis-server behind
 * `requirepass`, serving the shop database as a data source. Proven by the data: a row changed in SQL
 * behind the engine's back shows which answers come from the cache.
 *
 * - a result one node cached is an L2 hit on the other, under the cluster's own namespace;
 * - a write through one node drops the result from the other's L1: its next answers show the new
 *   value (bounded poll for the pub/sub message), never a value older than its cached one;
 * - a data source loaded again through the cluster drops its cached results on every node;
 * - no process logs the Redis password.
 */
const CLUSTER_SECRET = "cluster-cache-secret";
const REDIS_PASSWORD = "cluster-cache-redis-password";
const PG_ROLE = "shop_e2e_app";
const PG_PASSWORD = "shop-e2e-pw";

let pg: PostgresInstance;
let redis: RedisServer;
let shop: postgres.Sql;
let management: RunningProcess;
let workers: RunningProcess[] = [];

interface Answer<T> {
  data: T;
  /** Cache-Control max-age: present only on responses answered from the cache. */
  maxAge: number | undefined;
}

async function ask<T = Record<string, unknown>>(
  node: RunningProcess,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Answer<T>> {
  const response = await fetch(`${node.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  expect(body.errors, `${node.name}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  expect(response.status, node.name).toBe(200);
  const age = /max-age=(\d+)/.exec(response.headers.get("cache-control") ?? "");
  return { data: body.data as T, maxAge: age ? Number(age[1]) : undefined };
}

async function metric(
  node: RunningProcess,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!sample || sample[1] !== name) continue;
    const own = new Map([...(sample[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([label, value]) => own.get(label) === value)) sum += Number(sample[3]);
  }
  return sum;
}

/** The cached results the cluster's nodes keep in Redis (not role permissions and the like). */
async function l2Keys(pattern = "hugr:*:v:result:*"): Promise<string[]> {
  const out = await redis.cli("--scan", "--pattern", pattern);
  return out === "" ? [] : out.split("\n");
}

async function startNode(name: string): Promise<RunningProcess> {
  return startClusterWorker(name, {
    management,
    secret: CLUSTER_SECRET,
    coreDb: pg.url,
    env: {
      CACHE_TTL: "2m",
      CACHE_L1_ENABLED: "true",
      CACHE_L1_MAX_SIZE: "16",
      CACHE_L2_ENABLED: "true",
      CACHE_L2_BACKEND: "redis",
      CACHE_L2_ADDRESSES: redis.address,
      CACHE_L2_PASSWORD: REDIS_PASSWORD,
    },
  });
}

const noteOf = async (id: number): Promise<string | null> =>
  (
    (await shop.unsafe(`select note from orders where id = ${id}`)) as unknown as { note: string | null }[]
  )[0]!.note;

type Order = { orders_by_pk: { id: number; note: string | null } };

beforeAll(async () => {
  pg = await startPostgres();
  redis = await startRedis({ password: REDIS_PASSWORD });
  const shopUrl = await createShopDatabase(pg, "shop_e2e");
  shop = postgres(shopUrl, { max: 1, onnotice: () => undefined });
  await createShopOwner(shop, PG_ROLE, PG_PASSWORD);
  management = await startManagement({
    env: {
      CLUSTER_SECRET,
      CORE_DB_PATH: await pg.createDatabase("management"),
      CHECK: "1000ms",
      TIMEOUT: "1s",
    },
  });
  workers = await Promise.all(["worker-1", "worker-2"].map(startNode));
  const [first] = workers;
  await ask(first!, ADD_DATA_SOURCE, {
    data: {
      name: "shop",
      type: "postgres",
      prefix: "",
      description: "the shop",
      path: `postgres://${PG_ROLE}:${PG_PASSWORD}@127.0.0.1:${pg.port}/shop_e2e`,
      as_module: false,
      read_only: false,
      self_defined: false,
      catalogs: [{ name: "shop", type: "text", path: SHOP_CATALOG }],
    },
  });
  const loaded = await ask<{
    function: { core: { cluster: { load_data_source: { success: boolean; message: string } } } };
  }>(first!, LOAD_DATA_SOURCE("shop"));
  const { success, message } = loaded.data.function.core.cluster.load_data_source;
  expect(success, message).toBe(true);
  // Both nodes listen for invalidations before any test relies on them.
  await eventually(
    async () => {
      const channels = (await redis.cli("pubsub", "channels", "hugr:*:invalidations")).split("\n");
      if (channels.length !== 1 || channels[0] === "") return false;
      const reply = await redis.cli("pubsub", "numsub", channels[0]!);
      return Number(reply.split("\n")[1]) >= 2;
    },
    15_000,
    "both nodes subscribed to the cluster's invalidation channel",
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await management?.stop("SIGKILL");
  await shop?.end({ timeout: 5 });
  await redis?.stop();
  await pg?.stop();
});

describe("the cache across a cluster (two work nodes, L2 on Redis)", () => {
  it("a result cached on one node is an L2 hit on the other, under the cluster's namespace", async () => {
    const [one, two] = workers as [RunningProcess, RunningProcess];
    const query = `{ orders_by_pk(id: 21) @cache(ttl: 90) { id note } }`;
    const original = await noteOf(21);
    // Each try is a new result (its own key) until the first node's L2 connection is up.
    let attempt = 0;
    await eventually(
      async () => {
        const before = (await l2Keys()).length;
        await ask(one, `{ categories(limit: ${1000 + ++attempt}) @cache(ttl: 30) { id } }`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return (await l2Keys()).length > before;
      },
      15_000,
      "worker-1 writing to L2",
    );
    const keys = (await l2Keys()).length;
    expect((await ask<Order>(one, query)).data.orders_by_pk.note).toBe(original);
    await eventually(async () => (await l2Keys()).length > keys, 15_000, "the result written to L2");
    // A cluster's keys live under its own prefix (from its management node's URL), not "standalone".
    const all = await l2Keys("*");
    expect(all.length).toBeGreaterThan(0);
    for (const key of all) expect(key).toMatch(/^hugr:[0-9a-f]{16}:/);
    expect(new Set(all.map((key) => key.split(":")[1])).size, all.join("\n")).toBe(1);

    await shop.unsafe(`update orders set note = 'changed behind the engine' where id = 21`);
    await ask(two, `{ categories(limit: 1) { id } }`); // worker-2's own lookups are in its L1 now
    const l2Hits = await metric(two, "hugr_cache_hits_total", { level: "l2" });
    // worker-2 never asked this: the old value can only come from what worker-1 left in L2.
    const there = await ask<Order>(two, query);
    expect(there.data.orders_by_pk.note).toBe(original);
    expect(there.maxAge).toBeDefined();
    expect(there.maxAge).toBeLessThanOrEqual(90);
    expect(await metric(two, "hugr_cache_hits_total", { level: "l2" })).toBeGreaterThan(l2Hits);
  });

  it("a write through one node drops the result from the other's L1: its next answers show it", async () => {
    const [one, two] = workers as [RunningProcess, RunningProcess];
    const query = `{ orders_by_pk(id: 22) @cache(ttl: 90) { id note } }`;
    const original = await noteOf(22);
    expect((await ask<Order>(one, query)).data.orders_by_pk.note).toBe(original);
    await shop.unsafe(`update orders set note = 'changed behind the engine' where id = 22`);
    const cached = await ask<Order>(one, query);
    expect(cached.data.orders_by_pk.note).toBe(original);
    expect(cached.maxAge).toBeDefined();

    await ask(
      two,
      `mutation { update_orders(filter: {id: {eq: 22}}, data: {note: "written on worker-2"}) { affected_rows } }`,
    );
    expect(await noteOf(22)).toBe("written on worker-2");
    const seen: (string | null)[] = [];
    await eventually(
      async () => {
        const note = (await ask<Order>(one, query)).data.orders_by_pk.note;
        seen.push(note);
        return note === "written on worker-2";
      },
      15_000,
      "worker-1 answering the value written through worker-2",
    );
    expect(
      seen.every((note) => note === original || note === "written on worker-2"),
      seen.join(", "),
    ).toBe(true);
    // And worker-2 itself answers it too (its own write dropped its L1 and L2 entries).
    expect((await ask<Order>(two, query)).data.orders_by_pk.note).toBe("written on worker-2");
  });

  it("a data source loaded again through the cluster drops its cached results on every node", async () => {
    const query = `{ orders_by_pk(id: 23) @cache(ttl: 90) { id note } }`;
    const original = await noteOf(23);
    for (const node of workers) expect((await ask<Order>(node, query)).data.orders_by_pk.note).toBe(original);
    await shop.unsafe(`update orders set note = 'before the reload' where id = 23`);
    for (const node of workers) {
      const cached = await ask<Order>(node, query);
      expect(cached.data.orders_by_pk.note, node.name).toBe(original);
      expect(cached.maxAge, node.name).toBeDefined();
    }

    const reloaded = await ask<{
      function: { core: { cluster: { load_data_source: { success: boolean; message: string } } } };
    }>(workers[1]!, LOAD_DATA_SOURCE("shop"));
    expect(reloaded.data.function.core.cluster.load_data_source.success).toBe(true);
    for (const node of workers) {
      await eventually(
        async () => (await ask<Order>(node, query)).data.orders_by_pk.note === "before the reload",
        15_000,
        `${node.name} answering from the source after the reload`,
      );
    }
  });

  it("no process logs the Redis password", () => {
    for (const process of [management, ...workers])
      expect(process.output(), process.name).not.toContain(REDIS_PASSWORD);
  });
});
