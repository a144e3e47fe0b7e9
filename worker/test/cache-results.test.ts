/**
 * Cached results end to end, on real components: work nodes in this process (real HTTP on loopback)
 * with L1 and L2 on a real redis-server behind `requirepass` (CACHE_L2_DATABASE 2), the shop database
 * on a real PostgreSQL as the data source, and authentication on (admin by the secret key, roles by
 * impersonation). Every "served from the cache" claim is proven by the data: a row is changed in SQL
 * behind the engine's back, and the cached answer still shows the old value; what must be fresh shows
 * the new one. Nothing here waits for a time to pass: TTLs are checked through the cache's own report
 * (the Cache-Control max-age of responses answered from it), cross-node effects by bounded polls.
 *
 * - `@cache` on a query field, `@no_cache`, `@invalidate_cache`, `function { core { cache {
 *   invalidate } } }` with and without tags, a write through the engine, `@cache` on a catalog's type
 *   and on a catalog's fields (alone, and with the type's);
 * - results never cross users of a role whose rule uses `[$auth.*]`, nor roles with other rules;
 * - concurrent misses of one key run one statement on PostgreSQL;
 * - two nodes sharing Redis: L2 hits on the other node, a write on one drops the other's L1 entry;
 * - Redis killed under load: no request fails, answers stay right, L2 is used again once it is back;
 * - an unreachable L2 or a wrong password at start: the node starts, logs it (never the password)
 *   and serves.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../src/cache/test-fixtures.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { startRedis, type RedisServer } from "./harness/redis.js";
import { SHOP_CATALOG, createShopDatabase, createShopOwner } from "./harness/shop-db.js";
import { freePort, startInProcessWorker, type InProcessWorker } from "./harness/worker.js";

const SECRET = "cache-results-secret";
const REDIS_PASSWORD = "cache-results-redis-password";
const REDIS_DATABASE = "2";
/** The PostgreSQL role the data sources log in as: its statements are logged (see statementsSince). */
const PG_ROLE = "shop_cache_app";
const PG_PASSWORD = "shop-cache-pw";
/** Every standalone node keeps its L2 entries under this prefix (worker/src/server.ts cachePrefix). */
const L2_PREFIX = "hugr:standalone:";

type Headers = Record<string, string>;
const ADMIN: Headers = { "x-hugr-secret-key": SECRET };
/** A user of the role `customer`, whose orders are filtered by its user id. */
const customer = (id: number): Headers => ({
  ...ADMIN,
  "x-hugr-impersonated-role": "customer",
  "x-hugr-impersonated-user-id": String(id),
  "x-hugr-impersonated-user-name": `customer ${id}`,
});
/** The role `viewer`: no permission rows, so the same rules as the admin's. */
const VIEWER: Headers = { ...ADMIN, "x-hugr-impersonated-role": "viewer" };

/**
 * The shop catalog with hugr's `@cache` on the products type (its reads are cached with no directive),
 * on its `price` field (a shorter ttl, other tags), and on the `note` field of orders, whose type has none.
 */
const CACHED_CATALOG = SHOP_CATALOG.replace(
  'type products @table(name: "products")',
  'type products @table(name: "products") @cache(ttl: 300, tags: ["catalog-products"])',
)
  .replace("  price: Float!\n", '  price: Float! @cache(ttl: 200, tags: ["prices"])\n')
  .replace("  note: String\n", '  note: String @cache(ttl: 250, tags: ["order-notes"])\n');

let pg: PostgresInstance;
let redis: RedisServer;
/** Superuser connection to the shop database: the test's view of the truth, and its way around the engine. */
let shop: postgres.Sql;
let sourceUrl: string;
let serverLog: string;
const nodes: Node[] = [];
/** Two nodes on the same Redis (and core database): node 1 does most of the work. */
let node1: Node;
let node2: Node;

interface Answer<T> {
  status: number;
  data: T;
  /** Seconds the response says it stays valid (Cache-Control max-age), present only when served from the cache. */
  maxAge: number | undefined;
}

interface Node {
  url: string;
  worker: InProcessWorker;
  /** The node's log lines (LOG_LEVEL info), raw. */
  logs: string[];
  /** A request that must succeed: HTTP 200, no errors. */
  ask<T = Record<string, unknown>>(
    query: string,
    options?: { headers?: Headers; variables?: Record<string, unknown> },
  ): Promise<Answer<T>>;
  /** The sum of a metric's samples with these labels, from the node's /metrics. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

async function startNode(env: Record<string, string> = {}): Promise<Node> {
  const logs: string[] = [];
  const worker = await startInProcessWorker(
    {
      CORE_DB_PATH: pg.url,
      SECRET_KEY: SECRET,
      LOG_LEVEL: "info",
      CACHE_TTL: "2m",
      CACHE_L1_ENABLED: "true",
      CACHE_L1_MAX_SIZE: "16",
      CACHE_L2_ENABLED: "true",
      CACHE_L2_BACKEND: "redis",
      CACHE_L2_ADDRESSES: redis.address,
      CACHE_L2_DATABASE: REDIS_DATABASE,
      CACHE_L2_PASSWORD: REDIS_PASSWORD,
      ...env,
    },
    { logDestination: { write: (line: string) => void logs.push(line) } },
  );
  const node: Node = {
    url: worker.url,
    worker,
    logs,
    ask: (query, options = {}) => ask(worker.url, query, options.variables, options.headers ?? ADMIN),
    metric: (name, labels) => metric(worker.url, name, labels),
  };
  nodes.push(node);
  return node;
}

async function ask<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  headers: Headers,
): Promise<Answer<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  expect(body.errors, `${query}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  expect(response.status).toBe(200);
  const cacheControl = response.headers.get("cache-control");
  const age = cacheControl === null ? null : /(?:^|,)\s*max-age=(\d+)/.exec(cacheControl);
  return { status: response.status, data: body.data as T, maxAge: age ? Number(age[1]) : undefined };
}

async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!sample || sample[1] !== name) continue;
    const own = new Map([...(sample[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([label, value]) => own.get(label) === value)) sum += Number(sample[3]);
  }
  return sum;
}

async function sql<T extends object = Record<string, unknown>>(text: string): Promise<T[]> {
  return (await shop.unsafe(text)) as unknown as T[];
}

/** The cached results in this Redis under the standalone nodes' namespace (not role permissions and the like). */
async function l2Keys(server: RedisServer = redis): Promise<string[]> {
  const out = await server.cli("-n", REDIS_DATABASE, "--scan", "--pattern", `${L2_PREFIX}v:result:*`);
  return out === "" ? [] : out.split("\n");
}

/**
 * The statements the data sources' role sent since byte `offset` of the server log (log_statement =
 * all for that role): one entry per statement, continuation lines included.
 */
async function statementsSince(offset: number): Promise<string[]> {
  const text = (await readFile(serverLog)).subarray(offset).toString("utf8");
  return text
    .split(/\n(?=\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})/)
    .filter((entry) => /\bLOG:\s+(?:statement|execute [^:]*):/.test(entry));
}

async function registerSource(node: Node, name: string, prefix: string, catalog: string): Promise<void> {
  await node.ask(
    `mutation($data: data_sources_mut_input_data!) { core { insert_data_sources(data: $data) { name } } }`,
    {
      variables: {
        data: {
          name,
          type: "postgres",
          prefix,
          path: sourceUrl,
          as_module: false,
          read_only: false,
          self_defined: false,
          catalogs: [{ name, type: "text", path: catalog }],
        },
      },
    },
  );
  const loaded = await node.ask<{
    function: { core: { load_data_source: { success: boolean; message: string } } };
  }>(`mutation { function { core { load_data_source(name: "${name}") { success message } } } }`);
  const { success, message } = loaded.data.function.core.load_data_source;
  expect(success, message).toBe(true);
}

/** Waits until `node` writes to L2: a new cached result (its own key each try) appears in Redis. */
async function l2Ready(node: Node, server: RedisServer = redis): Promise<void> {
  let attempt = 0;
  await eventually(`${node.url} to write to L2`, async () => {
    const before = (await l2Keys(server)).length;
    attempt++;
    await node.ask(`{ categories(limit: ${1000 + attempt}) @cache(ttl: 30, tags: ["probe"]) { id } }`);
    // A miss is answered once stored in L2, unless L2 is not connected yet (then retried).
    return (await l2Keys(server)).length > before;
  });
}

/** Waits until `count` connections listen on the standalone nodes' invalidation channel. */
async function subscribers(count: number): Promise<void> {
  await eventually(`${count} subscribers on the invalidation channel`, async () => {
    const reply = await redis.cli("pubsub", "numsub", `${L2_PREFIX}invalidations`);
    return Number(reply.split("\n")[1]) >= count;
  });
}

beforeAll(async () => {
  pg = await startPostgres();
  redis = await startRedis({ password: REDIS_PASSWORD });
  const adminUrl = await createShopDatabase(pg, "shop_cache");
  shop = postgres(adminUrl, { max: 2, onnotice: () => {} });
  await createShopOwner(shop, PG_ROLE, PG_PASSWORD);
  await shop.unsafe(`alter role ${PG_ROLE} set log_statement = 'all'`);
  sourceUrl = `postgres://${PG_ROLE}:${PG_PASSWORD}@127.0.0.1:${pg.port}/shop_cache`;
  serverLog = join(pg.dataDir, "postgres.log");

  node1 = await startNode();
  await registerSource(node1, "shop", "", SHOP_CATALOG);
  await registerSource(node1, "cshop", "c", CACHED_CATALOG);
  await node1.ask(`mutation { core { insert_roles(data: {name: "customer"}) { name } } }`);
  await node1.ask(`mutation { core { insert_roles(data: {name: "viewer"}) { name } } }`);
  // A customer reads its own orders only, in both sources: the rule has a placeholder, so results are per user.
  for (const orders of ["orders", "c_orders"]) {
    await node1.ask(
      `mutation($data: role_permissions_mut_input_data!) { core { insert_role_permissions(data: $data) { role } } }`,
      {
        variables: {
          data: {
            role: "customer",
            type_name: "data-object:query",
            field_name: orders,
            hidden: false,
            disabled: false,
            filter: { customer_id: { eq: "[$auth.user_id_int]" } },
          },
        },
      },
    );
  }
  // The second node finds both sources in the core database and loads them at start.
  node2 = await startNode();
  await l2Ready(node1);
  await l2Ready(node2);
  await subscribers(2);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(nodes.map((node) => node.worker.close()));
  await shop?.end({ timeout: 5 });
  await redis?.stop();
  await pg?.stop();
});

interface Customer {
  id: number;
  name: string;
  city: string | null;
}
type ByPk = { customers_by_pk: Customer };

const cityOf = async (id: number): Promise<string | null> =>
  (await sql<{ city: string | null }>(`select city from customers where id = ${id}`))[0]!.city;
const setCity = (id: number, city: string) => sql(`update customers set city = '${city}' where id = ${id}`);

describe("a query field's @cache", () => {
  it("answers from the cache after the row changed behind the engine, with a max-age within the ttl that only shrinks", async () => {
    const query = `{ customers_by_pk(id: 1) @cache(ttl: 60) { id name city } }`;
    const original = await cityOf(1);
    const first = await node1.ask<ByPk>(query);
    expect(first.data.customers_by_pk.city).toBe(original);
    expect(first.maxAge, "a result read from the source has no max-age").toBeUndefined();

    await setCity(1, "Changed behind the engine");
    const second = await node1.ask<ByPk>(query);
    expect(second.data.customers_by_pk.city).toBe(original);
    expect(second.maxAge).toBeDefined();
    expect(second.maxAge).toBeGreaterThanOrEqual(0);
    expect(second.maxAge).toBeLessThanOrEqual(60);
    const third = await node1.ask<ByPk>(query);
    expect(third.data.customers_by_pk.city).toBe(original);
    expect(third.maxAge).toBeLessThanOrEqual(second.maxAge!);

    // ttl as an interval: the report is bounded by it, not by the node's CACHE_TTL (120 s).
    const interval = `{ customers_by_pk(id: 1) @cache(ttl: "10 minutes") { id city } }`;
    await node1.ask(interval);
    const long = await node1.ask<ByPk>(interval);
    expect(long.maxAge).toBeGreaterThan(120);
    expect(long.maxAge).toBeLessThanOrEqual(600);
    // Without a ttl: the node's CACHE_TTL.
    const fallback = `{ customers_by_pk(id: 1) @cache { id name } }`;
    await node1.ask(fallback);
    const byDefault = await node1.ask<ByPk>(fallback);
    expect(byDefault.maxAge).toBeGreaterThan(60);
    expect(byDefault.maxAge).toBeLessThanOrEqual(120);
  });

  it("@no_cache reads the source and leaves the cached result as it was", async () => {
    const cached = `{ customers_by_pk(id: 2) @cache(ttl: 60) { id name city } }`;
    const original = await cityOf(2);
    await node1.ask(cached);
    await setCity(2, "No cache city");

    const fresh = await node1.ask<ByPk>(`{ customers_by_pk(id: 2) @no_cache { id name city } }`);
    expect(fresh.data.customers_by_pk.city).toBe("No cache city");
    expect(fresh.maxAge).toBeUndefined();
    // @no_cache wins over @cache on the same field.
    const both = await node1.ask<ByPk>(
      `{ customers_by_pk(id: 2) @cache(ttl: 60) @no_cache { id name city } }`,
    );
    expect(both.data.customers_by_pk.city).toBe("No cache city");
    expect(both.maxAge).toBeUndefined();

    const still = await node1.ask<ByPk>(cached);
    expect(still.data.customers_by_pk.city).toBe(original);
    expect(still.maxAge).toBeDefined();
  });

  it("@invalidate_cache reads the source and replaces the cached result", async () => {
    const cached = `{ customers_by_pk(id: 3) @cache(ttl: 60) { id name city } }`;
    const original = await cityOf(3);
    await node1.ask(cached);
    await setCity(3, "Refreshed city");
    expect((await node1.ask<ByPk>(cached)).data.customers_by_pk.city).toBe(original);

    const refreshed = await node1.ask<ByPk>(
      `{ customers_by_pk(id: 3) @cache(ttl: 60) @invalidate_cache { id name city } }`,
    );
    expect(refreshed.data.customers_by_pk.city).toBe("Refreshed city");
    expect(refreshed.maxAge, "a refreshed result is read from the source").toBeUndefined();

    const after = await node1.ask<ByPk>(cached);
    expect(after.data.customers_by_pk.city).toBe("Refreshed city");
    expect(after.maxAge, "the refreshed result is the cached one now").toBeDefined();
  });

  it("invalidate(tags:) drops the results with those tags only; invalidate() drops every one", async () => {
    const tagged = `{ customers_by_pk(id: 4) @cache(ttl: 60, tags: ["x"]) { id city } }`;
    const other = `{ customers_by_pk(id: 5) @cache(ttl: 60, tags: ["y"]) { id city } }`;
    const [city4, city5] = [await cityOf(4), await cityOf(5)];
    await node1.ask(tagged);
    await node1.ask(other);
    await setCity(4, "Tag x city");
    await setCity(5, "Tag y city");
    expect((await node1.ask<ByPk>(tagged)).data.customers_by_pk.city).toBe(city4);

    const dropped = await node1.ask<{
      function: { core: { cache: { invalidate: { success: boolean; message: string } } } };
    }>(`{ function { core { cache { invalidate(tags: ["x"]) { success message } } } } }`);
    expect(dropped.data.function.core.cache.invalidate.success).toBe(true);
    expect((await node1.ask<ByPk>(tagged)).data.customers_by_pk.city).toBe("Tag x city");
    const kept = await node1.ask<ByPk>(other);
    expect(kept.data.customers_by_pk.city).toBe(city5);
    expect(kept.maxAge).toBeDefined();

    const all = await node1.ask<{
      function: { core: { cache: { invalidate: { success: boolean } } } };
    }>(`{ function { core { cache { invalidate { success message } } } } }`);
    expect(all.data.function.core.cache.invalidate.success).toBe(true);
    const afterAll = await node1.ask<ByPk>(other);
    expect(afterAll.data.customers_by_pk.city).toBe("Tag y city");
    expect(afterAll.maxAge).toBeUndefined();
  });

  it("a write through the engine drops the cached results of the object it wrote, and only those", async () => {
    const orders = `{ orders_by_pk(id: 11) @cache(ttl: 60) { id note } }`;
    const nested = `{ customers(filter: {id: {eq: 6}}) @cache(ttl: 60) { id orders(order_by: [{field: "id"}]) { id note } } }`;
    const customers = `{ customers_by_pk(id: 6) @cache(ttl: 60) { id city } }`;
    const city = await cityOf(6);
    const beforeNote = (await node1.ask<{ orders_by_pk: { note: string | null } }>(orders)).data.orders_by_pk
      .note;
    await node1.ask(nested);
    await node1.ask(customers);
    await sql(`update orders set note = 'changed in SQL' where customer_id = 6`);
    await setCity(6, "Write test city");
    expect((await node1.ask<{ orders_by_pk: { note: string | null } }>(orders)).data.orders_by_pk.note).toBe(
      beforeNote,
    );

    const written = await node1.ask<{ update_orders: { affected_rows: number } }>(
      `mutation { update_orders(filter: {id: {eq: 11}}, data: {note: "written through the engine"}) { affected_rows } }`,
    );
    expect(written.data.update_orders.affected_rows).toBe(1);

    const order = await node1.ask<{ orders_by_pk: { note: string } }>(orders);
    expect(order.data.orders_by_pk.note).toBe("written through the engine");
    expect(order.maxAge).toBeUndefined();
    // Customers with their orders read orders too: dropped as well, and read again.
    const withOrders = await node1.ask<{ customers: { orders: { id: number; note: string }[] }[] }>(nested);
    expect(withOrders.maxAge).toBeUndefined();
    const expectedNotes = await sql<{ id: number; note: string }>(
      `select id, note from orders where customer_id = 6 order by id`,
    );
    expect(withOrders.data.customers[0]?.orders).toEqual(expectedNotes);
    // A result of customers alone was not written: still the cached one.
    const kept = await node1.ask<ByPk>(customers);
    expect(kept.data.customers_by_pk.city).toBe(city);
    expect(kept.maxAge).toBeDefined();
  });

  it("the key is the field as asked: other arguments, selections or variables are other results", async () => {
    const query = `query($id: Int!) { customers_by_pk(id: $id) @cache(ttl: 60) { id city } }`;
    const city7 = await cityOf(7);
    await node1.ask(query, { variables: { id: 7 } });
    await setCity(7, "Seven");
    await setCity(8, "Eight");
    const seven = await node1.ask<ByPk>(query, { variables: { id: 7 } });
    expect(seven.data.customers_by_pk).toEqual({ id: 7, city: city7 });
    const eight = await node1.ask<ByPk>(query, { variables: { id: 8 } });
    expect(eight.data.customers_by_pk).toEqual({ id: 8, city: "Eight" });
    expect(eight.maxAge).toBeUndefined();
    const more = await node1.ask<ByPk>(`{ customers_by_pk(id: 7) @cache(ttl: 60) { id city name } }`);
    expect(more.data.customers_by_pk.city).toBe("Seven");
  });

  it("a fragment's fields are part of the key: one field spreading different fragments gets its own rows", async () => {
    const withFragment = (fields: string) =>
      `{ customers_by_pk(id: 9) @cache(ttl: 60) { ...F } } fragment F on customers { ${fields} }`;
    await node1.ask(withFragment("id"));
    const wider = await node1.ask<{ customers_by_pk: Customer }>(withFragment("id name city"));
    const [row] = await sql<Customer>(`select id, full_name as name, city from customers where id = 9`);
    expect(wider.data.customers_by_pk).toEqual(row);
  });

  it("a field asked twice (merged by GraphQL) is keyed by both selections", async () => {
    await node1.ask(`{ customers_by_pk(id: 15) @cache(ttl: 60) { id } }`);
    const merged = await node1.ask<{ customers_by_pk: Customer }>(
      `{ customers_by_pk(id: 15) @cache(ttl: 60) { id } customers_by_pk(id: 15) @cache(ttl: 60) { name city } }`,
    );
    const [row] = await sql<Customer>(`select id, full_name as name, city from customers where id = 15`);
    expect(merged.data.customers_by_pk).toEqual(row);
  });

  it("a field asked twice is tagged with what both selections read: a write to either drops it", async () => {
    type Merged = { customers_by_pk: { id: number; orders: { id: number; note: string | null }[] } };
    const query = `{ customers_by_pk(id: 16) @cache(ttl: 60) { id }
        customers_by_pk(id: 16) @cache(ttl: 60) { orders(order_by: [{field: "id"}]) { id note } } }`;
    const first = await node1.ask<Merged>(query);
    const order = first.data.customers_by_pk.orders[0]!;
    expect((await node1.ask<Merged>(query)).maxAge).toBeDefined();
    await node1.ask(
      `mutation { update_orders(filter: {id: {eq: ${order.id}}}, data: {note: "merged write"}) { affected_rows } }`,
    );
    const after = await node1.ask<Merged>(query);
    expect(after.data.customers_by_pk.orders[0]).toEqual({ id: order.id, note: "merged write" });
  });
});

describe("@cache on a catalog's type", () => {
  it("caches every read of the type with no directive in the query; other types are not cached", async () => {
    const product = `{ c_products_by_pk(id: 3) { id title } }`;
    const { title } = (await sql<{ title: string }>(`select title from products where id = 3`))[0]!;
    const first = await node1.ask<{ c_products_by_pk: { title: string } }>(product);
    expect(first.data.c_products_by_pk.title).toBe(title);
    expect(first.maxAge).toBeUndefined();
    await sql(`update products set title = 'Retitled in SQL' where id = 3`);

    const cached = await node1.ask<{ c_products_by_pk: { title: string } }>(product);
    expect(cached.data.c_products_by_pk.title).toBe(title);
    expect(cached.maxAge).toBeGreaterThan(120); // the catalog's ttl (300 s), not CACHE_TTL
    expect(cached.maxAge).toBeLessThanOrEqual(300);

    // Customers of the same catalog carry no @cache: read from the source every time.
    await node1.ask(`{ c_customers_by_pk(id: 10) { id city } }`);
    await setCity(10, "Uncached city");
    const uncached = await node1.ask<{ c_customers_by_pk: Customer }>(
      `{ c_customers_by_pk(id: 10) { id city } }`,
    );
    expect(uncached.data.c_customers_by_pk.city).toBe("Uncached city");
    expect(uncached.maxAge).toBeUndefined();

    // The query's @no_cache wins over the catalog's @cache.
    const bypass = await node1.ask<{ c_products_by_pk: { title: string } }>(
      `{ c_products_by_pk(id: 3) @no_cache { id title } }`,
    );
    expect(bypass.data.c_products_by_pk.title).toBe("Retitled in SQL");
    // The query's @invalidate_cache refreshes the result the catalog's @cache keeps.
    const refreshed = await node1.ask<{ c_products_by_pk: { title: string } }>(
      `{ c_products_by_pk(id: 3) @invalidate_cache { id title } }`,
    );
    expect(refreshed.data.c_products_by_pk.title).toBe("Retitled in SQL");
    const kept = await node1.ask<{ c_products_by_pk: { title: string } }>(product);
    expect(kept.data.c_products_by_pk.title).toBe("Retitled in SQL");
    expect(kept.maxAge).toBeDefined();

    // The catalog's tags drop it.
    await sql(`update products set title = 'Retitled again' where id = 3`);
    await node1.ask(`{ function { core { cache { invalidate(tags: ["catalog-products"]) { success } } } } }`);
    const dropped = await node1.ask<{ c_products_by_pk: { title: string } }>(product);
    expect(dropped.data.c_products_by_pk.title).toBe("Retitled again");
    expect(dropped.maxAge).toBeUndefined();
  });
});

describe("@cache on a catalog's field", () => {
  type Order = { id: number; note: string | null };
  type OrderByPk = { c_orders_by_pk: Order };
  type CustomerOrders = { c_customers_by_pk: { id: number; orders: Order[] } };
  const invalidate = (tags: string[]) =>
    node1.ask(`{ function { core { cache { invalidate(tags: ${JSON.stringify(tags)}) { success } } } } }`);
  const notesOf = (where: string) => sql<Order>(`select id, note from orders where ${where} order by id`);
  const setNotes = (where: string, note: string) => sql(`update orders set note = '${note}' where ${where}`);

  it("caches every read that selects the field, at the top, through a relation or aggregated, for the field's ttl and with its tags", async () => {
    // c_orders.note carries @cache(ttl: 250, tags: ["order-notes"]); the orders type carries none.
    const byPk = `{ c_orders_by_pk(id: 29) { id note } }`;
    const [order] = await notesOf("id = 29");
    const first = await node1.ask<OrderByPk>(byPk);
    expect(first.data.c_orders_by_pk).toEqual(order);
    expect(first.maxAge).toBeUndefined();
    await setNotes("id = 29", "Note changed in SQL");
    const cached = await node1.ask<OrderByPk>(byPk);
    expect(cached.data.c_orders_by_pk).toEqual(order);
    expect(cached.maxAge).toBeGreaterThan(120); // the field's ttl (250 s), not CACHE_TTL
    expect(cached.maxAge).toBeLessThanOrEqual(250);

    // A read of the same object that does not select the field is read from the source every time.
    const status = `{ c_orders_by_pk(id: 29) { id status } }`;
    await node1.ask(status);
    await sql(`update orders set status = 'cancelled' where id = 29`);
    const unselected = await node1.ask<{ c_orders_by_pk: { status: string } }>(status);
    expect(unselected.data.c_orders_by_pk.status).toBe("cancelled");
    expect(unselected.maxAge).toBeUndefined();

    // Through a relation: customers carry no @cache, the orders they select do.
    const viaRelation = `{ c_customers_by_pk(id: 17) { id orders(order_by: [{field: "id"}]) { id note } } }`;
    const before = await notesOf("customer_id = 17");
    await node1.ask(viaRelation);
    await setNotes("customer_id = 17", "All notes changed in SQL");
    const related = await node1.ask<CustomerOrders>(viaRelation);
    expect(related.data.c_customers_by_pk.orders).toEqual(before);
    expect(related.maxAge).toBeDefined();
    expect(related.maxAge).toBeLessThanOrEqual(250);

    // Aggregated: the field's values are read too.
    const aggregated = `{ c_orders_aggregation(filter: {customer_id: {eq: 17}}) { note { max } } }`;
    type Aggregated = { c_orders_aggregation: { note: { max: string } } };
    await node1.ask(aggregated);
    await setNotes("customer_id = 17", "Zz changed again");
    const aggregate = await node1.ask<Aggregated>(aggregated);
    expect(aggregate.data.c_orders_aggregation.note.max).toBe("All notes changed in SQL");
    expect(aggregate.maxAge).toBeDefined();

    // The field's tags drop them all.
    await invalidate(["order-notes"]);
    const dropped = await node1.ask<OrderByPk>(byPk);
    expect(dropped.data.c_orders_by_pk.note).toBe("Zz changed again");
    expect(dropped.maxAge).toBeUndefined();
    expect((await node1.ask<CustomerOrders>(viaRelation)).data.c_customers_by_pk.orders).toEqual(
      await notesOf("customer_id = 17"),
    );
    expect((await node1.ask<Aggregated>(aggregated)).data.c_orders_aggregation.note.max).toBe(
      "Zz changed again",
    );
    // The query's @no_cache bypasses the field's @cache.
    await setNotes("id = 29", "Bypassed");
    const bypass = await node1.ask<OrderByPk>(`{ c_orders_by_pk(id: 29) @no_cache { id note } }`);
    expect(bypass.data.c_orders_by_pk.note).toBe("Bypassed");
    expect(bypass.maxAge).toBeUndefined();
  });

  it("a write through the engine drops a result the field's @cache keeps", async () => {
    const viaRelation = `{ c_customers_by_pk(id: 14) { id orders(order_by: [{field: "id"}]) { id note } } }`;
    await node1.ask(viaRelation);
    expect((await node1.ask(viaRelation)).maxAge).toBeDefined();
    const [order] = await notesOf("customer_id = 14");
    const written = await node1.ask<{ update_c_orders: { affected_rows: number } }>(
      `mutation { update_c_orders(filter: {id: {eq: ${order!.id}}}, data: {note: "written through the engine"}) { affected_rows } }`,
    );
    expect(written.data.update_c_orders.affected_rows).toBe(1);
    const after = await node1.ask<CustomerOrders>(viaRelation);
    expect(after.data.c_customers_by_pk.orders).toEqual(await notesOf("customer_id = 14"));
    expect(after.data.c_customers_by_pk.orders[0]?.note).toBe("written through the engine");
    expect(after.maxAge).toBeUndefined();
  });

  it("with its type's @cache: the least ttl and the tags of both; the query's @cache replaces them", async () => {
    // products: @cache(ttl: 300, tags: ["catalog-products"]); its price: @cache(ttl: 200, tags: ["prices"]).
    type Product = { c_products_by_pk: { id: number; price: number } };
    const product = `{ c_products_by_pk(id: 5) { id price } }`;
    const priceOf = async (): Promise<number> =>
      Number((await sql<{ price: string }>(`select price from products where id = 5`))[0]!.price);
    const raise = () => sql(`update products set price = price + 1 where id = 5`);
    const original = await priceOf();
    await node1.ask(product);
    await raise();
    const cached = await node1.ask<Product>(product);
    expect(cached.data.c_products_by_pk.price).toBe(original);
    expect(cached.maxAge).toBeGreaterThan(120);
    expect(cached.maxAge).toBeLessThanOrEqual(200); // the field's ttl, shorter than the type's

    // Either one's tags drop it.
    await invalidate(["prices"]);
    expect((await node1.ask<Product>(product)).data.c_products_by_pk.price).toBe(await priceOf());
    expect((await node1.ask<Product>(product)).maxAge).toBeDefined();
    await raise();
    await invalidate(["catalog-products"]);
    const again = await node1.ask<Product>(product);
    expect(again.data.c_products_by_pk.price).toBe(await priceOf());
    expect(again.maxAge).toBeUndefined();

    // The query's @cache: its own ttl and tags, not the catalog's.
    const asked = `{ c_products_by_pk(id: 5) @cache(ttl: 30, tags: ["mine"]) { id price } }`;
    const price = await priceOf();
    await node1.ask(asked);
    await raise();
    await invalidate(["prices", "catalog-products"]);
    const own = await node1.ask<Product>(asked);
    expect(own.data.c_products_by_pk.price).toBe(price);
    expect(own.maxAge).toBeLessThanOrEqual(30);
    await invalidate(["mine"]);
    expect((await node1.ask<Product>(asked)).data.c_products_by_pk.price).toBe(await priceOf());
  });

  it("is per role's rules and per user: a user of a filtered role gets its own rows, never another's", async () => {
    type Rows = { c_orders: { id: number; customer_id: number; note: string | null }[] };
    const query = `{ c_orders(order_by: [{field: "id"}]) { id customer_id note } }`;
    const rowsOf = (where = "true") =>
      sql<{ id: number; customer_id: number; note: string | null }>(
        `select id, customer_id, note from orders where ${where} order by id`,
      );
    const admin = await node1.ask<Rows>(query);
    expect(admin.data.c_orders).toEqual(await rowsOf());
    expect((await node1.ask<Rows>(query)).maxAge, "the admin's result is cached").toBeDefined();

    const own = new Map<number, Rows["c_orders"]>();
    for (const id of [3, 5]) {
      own.set(id, await rowsOf(`customer_id = ${id}`));
      const first = await node1.ask<Rows>(query, { headers: customer(id) });
      expect(first.data.c_orders).toEqual(own.get(id));
      expect(first.maxAge, `customer ${id}'s first answer is not the admin's cached one`).toBeUndefined();
    }
    await setNotes("customer_id in (3, 5)", "Role notes changed in SQL");
    for (const id of [3, 5]) {
      const again = await node1.ask<Rows>(query, { headers: customer(id) });
      expect(again.data.c_orders, `customer ${id}'s own cached rows`).toEqual(own.get(id));
      expect(again.maxAge).toBeDefined();
      // On the other node, from L2: still each its own.
      const there = await node2.ask<Rows>(query, { headers: customer(id) });
      expect(there.data.c_orders).toEqual(own.get(id));
    }
    const none = await node1.ask<Rows>(query, { headers: customer(19) });
    expect(none.data.c_orders).toEqual([]);
  });
});

describe("whole responses made of cached results (L1 only)", () => {
  const localHits = (node: Node): Promise<number> => node.metric("hugr_cache_hits_total", { level: "local" });

  it("a query whose every read is cached is answered whole from its second time; a write drops it", async () => {
    const query = `{ customers_by_pk(id: 18) @cache(ttl: 60) { id city } }`;
    const original = await cityOf(18);
    const before = await localHits(node1);
    await node1.ask(query);
    expect(await localHits(node1), "the first answer is computed, then kept").toBe(before);
    await setCity(18, "Behind the kept response");
    const second = await node1.ask<ByPk>(query);
    expect(second.data.customers_by_pk.city).toBe(original);
    expect(second.maxAge).toBeDefined();
    expect(second.maxAge).toBeLessThanOrEqual(60);
    expect(await localHits(node1)).toBe(before + 1);

    await node1.ask(
      `mutation { update_customers(filter: {id: {eq: 18}}, data: {name: "written"}) { affected_rows } }`,
    );
    const after = await node1.ask<ByPk>(query);
    expect(after.data.customers_by_pk.city).toBe("Behind the kept response");
    expect(after.maxAge, "read from the source again").toBeUndefined();
    expect(await localHits(node1)).toBe(before + 1);
  });

  it("a query with one read that is not cached is never kept whole: that read stays fresh", async () => {
    const query = `{ kept: customers_by_pk(id: 19) @cache(ttl: 60) { id city } fresh: customers_by_pk(id: 20) { id city } }`;
    type Two = { kept: Customer; fresh: Customer };
    const [city19] = [await cityOf(19)];
    const before = await localHits(node1);
    await node1.ask(query);
    await setCity(19, "Mixed kept");
    await setCity(20, "Mixed fresh");
    const second = await node1.ask<Two>(query);
    expect(second.data.kept.city).toBe(city19);
    expect(second.data.fresh.city).toBe("Mixed fresh");
    await node1.ask(query);
    expect(await localHits(node1)).toBe(before);
  });

  it("a function beside cached reads keeps the query out: the admin's and a viewer's answers stay their own", async () => {
    // The viewer has no rules: the admin's, so the same cached results; `me` is still each one's.
    const query = `{ customers_by_pk(id: 19) @cache(ttl: 60) { id } function { core { auth { me { role } } } } }`;
    type WithMe = { function: { core: { auth: { me: { role: string } } } } };
    const before = await localHits(node1);
    for (let i = 0; i < 2; i++) {
      const admin = await node1.ask<WithMe>(query);
      const viewer = await node1.ask<WithMe>(query, { headers: VIEWER });
      expect(admin.data.function.core.auth.me.role).toBe("admin");
      expect(viewer.data.function.core.auth.me.role).toBe("viewer");
    }
    expect(await localHits(node1)).toBe(before);
  });

  it("each user of a role whose rule uses [$auth.user_id_int] has their own kept response", async () => {
    const query = `{ orders(order_by: [{field: "id"}], limit: 50) @cache(ttl: 60) { id customer_id } }`;
    type Orders = { orders: { id: number; customer_id: number }[] };
    const before = await localHits(node1);
    for (let i = 0; i < 2; i++) {
      for (const id of [3, 4]) {
        const mine = await node1.ask<Orders>(query, { headers: customer(id) });
        expect(mine.data.orders.length).toBeGreaterThan(0);
        expect(mine.data.orders.every((order) => order.customer_id === id)).toBe(true);
      }
    }
    expect(await localHits(node1)).toBe(before + 2);
  });

  it("@invalidate_cache on one node drops the responses kept on both", async () => {
    const query = `{ customers_by_pk(id: 20) @cache(ttl: 60) { id name city } }`;
    const original = await cityOf(20);
    for (const node of [node1, node2]) {
      await node.ask(query);
      expect((await node.ask<ByPk>(query)).data.customers_by_pk.city).toBe(original);
    }
    await setCity(20, "Refreshed everywhere");
    const refreshed = await node1.ask<ByPk>(
      `{ customers_by_pk(id: 20) @cache(ttl: 60) @invalidate_cache { id name city } }`,
    );
    expect(refreshed.data.customers_by_pk.city).toBe("Refreshed everywhere");
    expect((await node1.ask<ByPk>(query)).data.customers_by_pk.city).toBe("Refreshed everywhere");
    await eventually(
      "node 2 to drop its kept response",
      async () => (await node2.ask<ByPk>(query)).data.customers_by_pk.city === "Refreshed everywhere",
    );
  });
});

describe("results per role and per user", () => {
  type Orders = { orders: { id: number; customer_id: number }[] };
  const query = `{ orders(order_by: [{field: "id"}]) @cache(ttl: 60) { id customer_id } }`;
  const ordersOf = (id?: number) =>
    sql<{ id: number; customer_id: number }>(
      `select id, customer_id from orders ${id === undefined ? "" : `where customer_id = ${id}`} order by id`,
    );

  it("users of a role whose rule uses [$auth.user_id_int] get their own rows, never another's or the admin's", async () => {
    const all = await ordersOf();
    const admin = await node1.ask<Orders>(query);
    expect(admin.data.orders).toEqual(all);
    const adminAgain = await node1.ask<Orders>(query);
    expect(adminAgain.maxAge, "the admin's result is cached").toBeDefined();

    for (const id of [3, 5]) {
      const own = await ordersOf(id);
      expect(own.length).toBeGreaterThan(0);
      const first = await node1.ask<Orders>(query, { headers: customer(id) });
      expect(first.data.orders).toEqual(own);
      expect(first.maxAge, `customer ${id}'s first answer is not the admin's cached one`).toBeUndefined();
    }
    for (const id of [3, 5]) {
      const again = await node1.ask<Orders>(query, { headers: customer(id) });
      expect(again.data.orders).toEqual(await ordersOf(id));
      expect(again.maxAge, `customer ${id}'s own result is cached`).toBeDefined();
    }
    // On the other node, from L2: still each its own.
    for (const id of [5, 3]) {
      const there = await node2.ask<Orders>(query, { headers: customer(id) });
      expect(there.data.orders).toEqual(await ordersOf(id));
    }
    // A customer with no orders gets none, not someone else's cached rows.
    const none = await node1.ask<Orders>(query, { headers: customer(19) });
    expect(none.data.orders).toEqual([]);
  });

  it("a role without rules has the admin's rules: it may share the admin's result, and it is the right one", async () => {
    const all = await ordersOf();
    const viewer = await node1.ask<Orders>(query, { headers: VIEWER });
    expect(viewer.data.orders).toEqual(all);
    expect(viewer.maxAge, "same rules, same key: the admin's cached result").toBeDefined();
    // The filtered role still does not get it.
    const filtered = await node1.ask<Orders>(query, { headers: customer(7) });
    expect(filtered.data.orders).toEqual(await ordersOf(7));
  });
});

describe("concurrent misses", () => {
  it("20 concurrent requests for one uncached key run one statement on PostgreSQL", async () => {
    const query = `{ order_items(filter: {quantity: {gte: 3}}, order_by: [{field: "order_id"}, {field: "product_id"}]) @cache(ttl: 60) {
        order_id product_id quantity } }`;
    const expected = await sql(
      `select order_id, product_id, quantity from order_items where quantity >= 3 order by order_id, product_id`,
    );
    // Connections open and warm: a separate statement on order_items first, not cached.
    await node1.ask(`{ order_items(limit: 1) { order_id } }`);
    const l2MissesBefore = await node1.metric("hugr_cache_misses_total", { level: "l2" });
    const from = (await stat(serverLog)).size;

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => node1.ask<{ order_items: unknown[] }>(query)),
    );
    for (const answer of answers) expect(answer.data.order_items).toEqual(expected);
    const statements = (await statementsSince(from)).filter((s) => /\border_items\b/.test(s));
    expect(statements, statements.join("\n----\n")).toHaveLength(1);
    // One request loaded it; the 19 others were answered with its result, from the cache.
    expect(answers.filter((answer) => answer.maxAge === undefined)).toHaveLength(1);
    expect(await node1.metric("hugr_cache_misses_total", { level: "l2" })).toBe(l2MissesBefore + 1);
  });
});

describe("two nodes sharing Redis", () => {
  it("a result cached by one node is an L2 hit on the other, with the TTL L2 reports", async () => {
    const query = `{ customers_by_pk(id: 11) @cache(ttl: 90) { id city } }`;
    const original = await cityOf(11);
    const keys = (await l2Keys()).length;
    await node1.ask(query);
    await eventually("node 1's result written to L2", async () => (await l2Keys()).length > keys);
    await setCity(11, "Not yet seen");
    // An uncached request first: node 2's own lookups (the admin's permissions) are in its L1 then.
    await node2.ask(`{ categories(limit: 1) { id } }`);

    const l2Hits = await node2.metric("hugr_cache_hits_total", { level: "l2" });
    // Node 2 never asked this: the old value can only come from what node 1 left in L2.
    const there = await node2.ask<ByPk>(query);
    expect(there.data.customers_by_pk.city).toBe(original);
    expect(there.maxAge).toBeDefined();
    expect(there.maxAge).toBeLessThanOrEqual(90);
    const l2HitsAfter = await node2.metric("hugr_cache_hits_total", { level: "l2" });
    expect(l2HitsAfter).toBeGreaterThan(l2Hits);
    // Held in node 2's L1 now: answered without asking L2 again.
    const l1Hits = await node2.metric("hugr_cache_hits_total", { level: "l1" });
    expect((await node2.ask<ByPk>(query)).data.customers_by_pk.city).toBe(original);
    expect(await node2.metric("hugr_cache_hits_total", { level: "l1" })).toBeGreaterThan(l1Hits);
    expect(await node2.metric("hugr_cache_hits_total", { level: "l2" })).toBe(l2HitsAfter);
  });

  it("a write through one node drops the result from the other node's L1", async () => {
    const query = `{ orders_by_pk(id: 12) @cache(ttl: 60) { id note } }`;
    type Order = { orders_by_pk: { note: string | null } };
    const original = (await node1.ask<Order>(query)).data.orders_by_pk.note;
    await sql(`update orders set note = 'behind the engine' where id = 12`);
    const cached = await node1.ask<Order>(query);
    expect(cached.data.orders_by_pk.note).toBe(original);
    expect(cached.maxAge).toBeDefined();

    await node2.ask(
      `mutation { update_orders(filter: {id: {eq: 12}}, data: {note: "written on node 2"}) { affected_rows } }`,
    );
    const seen: (string | null)[] = [];
    await eventually("node 1 to answer the value written on node 2", async () => {
      const note = (await node1.ask<Order>(query)).data.orders_by_pk.note;
      seen.push(note);
      return note === "written on node 2";
    });
    // Before the message arrived, node 1 answered its cached row; never anything else.
    expect(
      seen.every((note) => note === original || note === "written on node 2"),
      seen.join(", "),
    ).toBe(true);
  });

  it("invalidate() on one node drops every result on the other", async () => {
    const query = `{ customers_by_pk(id: 12) @cache(ttl: 60) { id city } }`;
    const original = await cityOf(12);
    await node2.ask(query);
    await setCity(12, "After invalidate all");
    expect((await node2.ask<ByPk>(query)).data.customers_by_pk.city).toBe(original);
    await node1.ask(`{ function { core { cache { invalidate { success } } } } }`);
    await eventually(
      "node 2 to answer from the source",
      async () => (await node2.ask<ByPk>(query)).data.customers_by_pk.city === "After invalidate all",
    );
  });
});

describe("Redis killed under load", () => {
  it("no request fails and answers stay right; L2 errors are counted, and L2 is used again after a restart", async () => {
    const own = await startRedis({ password: REDIS_PASSWORD });
    try {
      const node = await startNode({ CACHE_L2_ADDRESSES: own.address });
      await l2Ready(node, own);
      const truth = await sql<{ id: number; customer_id: number }>(
        `select id, customer_id from orders order by id`,
      );
      const query = (limit: number) =>
        `{ orders(order_by: [{field: "id"}], limit: ${limit}) @cache(ttl: 60) { id customer_id } }`;
      let stop = false;
      let answered = 0;
      const failures: string[] = [];
      let fresh = 0;
      const worker = async (): Promise<void> => {
        while (!stop) {
          // Half the requests repeat a few keys (L1 hits), half ask keys never seen (source, then L2 writes).
          const limit = answered % 2 === 0 ? 1 + (answered % 5) : 100 + ++fresh;
          try {
            const answer = await node.ask<{ orders: unknown[] }>(query(limit));
            expect(answer.data.orders).toEqual(truth.slice(0, limit));
          } catch (error) {
            failures.push(String(error));
          }
          answered++;
        }
      };
      const load = Array.from({ length: 8 }, () => worker());
      try {
        await eventually("requests under way", () => answered >= 40);
        const errorsBefore = await node.metric("hugr_cache_l2_errors_total");
        await own.kill();
        const atKill = answered;
        await eventually(
          "L2 errors counted",
          async () => (await node.metric("hugr_cache_l2_errors_total")) > errorsBefore,
        );
        await eventually("requests answered with Redis down", () => answered >= atKill + 200);
      } finally {
        stop = true;
        await Promise.all(load);
      }
      expect(failures, failures.slice(0, 3).join("\n")).toEqual([]);
      expect(node.logs.join("")).toMatch(/the L2 cache \(redis at [^)]+\) is unavailable/);

      await own.restart();
      // Restarted empty (no persistence): a new result written there shows L2 is in use again.
      await l2Ready(node, own);
      await eventually("the node's log to say L2 is back", () =>
        node.logs.join("").includes("is available again"),
      );
      expect(node.logs.join("")).not.toContain(REDIS_PASSWORD);
    } finally {
      await own.stop();
    }
  });
});

describe("bad L2 configuration at start", () => {
  const parsed = (node: Node) =>
    node.logs.map((line) => JSON.parse(line) as { level: string; msg: string; err?: string; l2?: string });

  it("nothing listening at CACHE_L2_ADDRESSES: the node starts, warns, and serves (L1 still caches)", async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const node = await startNode({ CACHE_L2_ADDRESSES: nowhere });
    const query = `{ customers_by_pk(id: 13) @cache(ttl: 60) { id city } }`;
    const original = await cityOf(13);
    expect((await node.ask<ByPk>(query)).data.customers_by_pk.city).toBe(original);
    await eventually("the unavailable warning", () =>
      parsed(node).some((record) => record.level === "warn" && record.l2 === `redis at ${nowhere}`),
    );
    await setCity(13, "No L2 city");
    const cached = await node.ask<ByPk>(query);
    expect(cached.data.customers_by_pk.city).toBe(original);
    expect(cached.maxAge).toBeDefined();
    expect(await node.metric("hugr_cache_l2_errors_total")).toBeGreaterThan(0);
    expect((await node.ask<ByPk>(`{ customers_by_pk(id: 13) { id city } }`)).data.customers_by_pk.city).toBe(
      "No L2 city",
    );
  });

  it("a wrong CACHE_L2_PASSWORD: a clear error in the logs, without the password, and queries served", async () => {
    const wrong = "not-the-redis-password-42";
    const node = await startNode({ CACHE_L2_PASSWORD: wrong });
    await eventually("the credentials error", () => parsed(node).some((record) => record.level === "error"));
    const error = parsed(node).find((record) => record.level === "error")!;
    expect(error.msg).toContain("CACHE_L2_PASSWORD");
    expect(String(error.err)).toMatch(/WRONGPASS|NOAUTH/);
    const query = `{ customers_by_pk(id: 14) @cache(ttl: 60) { id city } }`;
    const original = await cityOf(14);
    expect((await node.ask<ByPk>(query)).data.customers_by_pk.city).toBe(original);
    await setCity(14, "Wrong password city");
    expect((await node.ask<ByPk>(query)).data.customers_by_pk.city).toBe(original);
    expect(node.logs.join("")).not.toContain(wrong);
    expect(node.logs.join("")).not.toContain(REDIS_PASSWORD);
  });
});
