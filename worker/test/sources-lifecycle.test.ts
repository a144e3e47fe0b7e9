import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { putDataSource } from "@hugr/coredb";
import { freePort } from "./harness/net.js";
import { recordingClient } from "./harness/graphql-data.js";
import { requirePassword, startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { createShopDatabase, createShopOwner } from "./harness/shop-db.js";
import { normaliser, sqlComparison, type Row } from "./harness/sql-compare.js";
import { startInProcessWorker, type InProcessWorker } from "./harness/worker.js";

/**
 * The life of a PostgreSQL data source on a running node: load, reload with another catalog or
 * configuration, unload while queries run, the ways a load fails, and loading again when a node
 * starts on the same core database. The shop database (harness/shop-db.ts) is the source; every
 * answer is compared with the same question asked in SQL. The node logs in as a role whose password
 * the server checks (scram), and which no response may ever contain.
 */
const PASSWORD = "lifecycle-pw-5521";
const ROLE = "shop_app";
/** Connections of the slow source's pool: enough for every concurrent query to run at once. */
const MAX_CONNECTIONS = 30;
const CONCURRENT = 20;
/** Long enough that all CONCURRENT queries are seen running before the first one ends. */
const SLOW_SECONDS = 2;

const CATEGORIES = `
type categories @table(name: "categories") {
  id: Int! @pk
  name: String!
}
`;

/** `products` with `fields` (one a line) between its price and its category. */
const products = (...fields: string[]): string => `
type products @table(name: "products") {
  id: Int! @pk
  sku: String!
  title: String!
  price: Float!
${fields.map((f) => `  ${f}\n`).join("")}  category_id: Int
    @field_references(name: "products_category_fk", references_name: "categories", field: "id",
      query: "category", references_query: "products")
}
`;

/** The first catalog of `shop`: categories and products, products with `views`. */
const CATALOG_V1 = CATEGORIES + products("views: BigInt!");

/** The second: products lose `views` and gain `sizes` and `attributes`; customers are new. */
const CATALOG_V2 = `${CATEGORIES}${products("sizes: [Int]", "attributes: JSON!")}
type customers @table(name: "customers") {
  id: Int! @pk
  name: String! @field_source(field: "full_name")
  city: String
}
`;

const SLOW_SQL = `select 1 as id, 'done' as s from pg_sleep(${SLOW_SECONDS})`;
const SLOW_CATALOG = `type slow @view(name: "slow", sql: "${SLOW_SQL}") { id: Int! @pk  s: String! }`;

let pg: PostgresInstance;
let node: InProcessWorker;
/** Superuser connection to the shop database: the test's view of the truth. */
let db: postgres.Sql;
/** Superuser connection to the server's maintenance database, for pg_stat_activity. */
let admin: postgres.Sql;
let sourceUrl: string;
let catalogDir: string;
let catalogFile: string;
/** Every response body of every node, checked for the password at the end. */
const bodies: string[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  const adminUrl = await createShopDatabase(pg, "shop");
  db = postgres(adminUrl, { max: 2, onnotice: () => {} });
  admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await createShopOwner(db, ROLE, PASSWORD);
  await requirePassword(pg, ROLE);
  sourceUrl = `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/shop`;
  catalogDir = await mkdtemp(join(tmpdir(), "hugr-lifecycle-"));
  catalogFile = join(catalogDir, "shop.graphql");
  await writeFile(catalogFile, CATALOG_V1);
  node = await startNode();
});

afterAll(async () => {
  await node?.close();
  await db?.end({ timeout: 5 });
  await admin?.end({ timeout: 5 });
  await pg?.stop();
  if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
});

describe("loading and reloading", () => {
  it("is detached when registered, attached once loaded, and answers as SQL does", async () => {
    await insertSource({
      name: "shop",
      catalogs: [{ name: "shop_file", type: "uriFile", path: catalogFile }],
    });
    expect(await statusOf("shop")).toBe("detached");
    expect(await rootFields()).not.toContain("products");
    await expectLoaded("shop");
    expect(await statusOf("shop")).toBe("attached");
    await expectQuery(
      `{ products(filter: {price: {gt: 20}}, order_by: [{field: "views", direction: DESC}], limit: 5) {
           id sku views category { name } }
         categories_aggregation { _rows_count } }`,
      {
        products:
          "select p.id, p.sku, p.views, (select to_jsonb(c) from (select name from categories " +
          "where id = p.category_id) c) as category from products p where p.price > 20 order by p.views desc limit 5",
        categories_aggregation: { one: "select count(*) as _rows_count from categories" },
      },
    );
  });

  it("reloads a changed catalog file: the new field and object are served, the removed field is gone", async () => {
    const worker = node.worker;
    await writeFile(catalogFile, CATALOG_V2);
    // Until loaded again, the node serves the catalog it loaded.
    expect(await typeFieldNames("products")).toContain("views");
    await expectLoaded("shop");
    expect(node.worker).toBe(worker);
    expect(await statusOf("shop")).toBe("attached");
    const fields = await typeFieldNames("products");
    expect(fields).toEqual(expect.arrayContaining(["sizes", "attributes"]));
    expect(fields).not.toContain("views");
    expect(await validationErrors(`{ products { id views } }`)).toEqual([
      expect.stringMatching(/^Cannot query field "views" on type "products"\./),
    ]);
    await expectQuery(
      `{ products(order_by: [{field: "id"}]) { id sizes attributes }
         customers(filter: {city: {eq: "Oslo"}}, order_by: [{field: "name"}]) { id name city } }`,
      {
        products: "select id, sizes, attributes from products order by id",
        customers: "select id, full_name as name, city from customers where city = 'Oslo' order by full_name",
      },
    );
  });

  it("a failed reload keeps the loaded version serving and reports the error until a reload succeeds", async () => {
    await writeFile(catalogFile, CATALOG_V2.replace("sizes: [Int]", "sizes [Int]"));
    const result = await operation("load_data_source", "shop");
    expect(result.success).toBe(false);
    expect(result.message).toMatch(
      /^data source 'shop' failed to load: .*shop\.graphql:\d+:\d+: Syntax Error/,
    );
    expect(await statusOf("shop")).toMatch(/^error: .*Syntax Error/);
    await expectQuery(`{ products(order_by: [{field: "id"}], limit: 4) { id sizes } }`, {
      products: "select id, sizes from products order by id limit 4",
    });
    await writeFile(catalogFile, CATALOG_V2);
    await expectLoaded("shop");
    expect(await statusOf("shop")).toBe("attached");
  });

  it("reloads after update_data_sources: the new prefix is served, the old names are gone", async () => {
    const updated = await data<{ core: { update_data_sources: Row[] } }>(
      `mutation { core { update_data_sources(filter: {name: {eq: "shop"}}, data: {prefix: "s"}) { name prefix } } }`,
    );
    expect(updated.core.update_data_sources).toEqual([{ name: "shop", prefix: "s" }]);
    // The change takes effect when the source is loaded again.
    expect(await rootFields()).toContain("products");
    await expectLoaded("shop");
    const roots = await rootFields();
    expect(roots).toEqual(expect.arrayContaining(["s_products", "s_customers", "s_categories_aggregation"]));
    expect(roots.filter((f) => /^(products|customers|categories)/.test(f))).toEqual([]);
    await expectQuery(`{ s_customers(order_by: [{field: "id"}], limit: 4) { id name } }`, {
      s_customers: "select id, full_name as name from customers order by id limit 4",
    });

    await data(
      `mutation { core { update_data_sources(filter: {name: {eq: "shop"}}, data: {prefix: ""}) { name } } }`,
    );
    await expectLoaded("shop");
    expect(await rootFields()).toContain("products");
  });

  it("reloads a catalog text replaced in the core database (as the operator's reconcile writes it)", async () => {
    await insertSource({
      name: "extra",
      catalogs: [{ name: "extra_v1", type: "text", path: CATALOG_V1 }],
      prefix: "x",
    });
    await expectLoaded("extra");
    expect(await typeFieldNames("x_products")).toContain("views");
    await putDataSource(node.worker.db, {
      name: "extra",
      type: "postgres",
      prefix: "x",
      path: sourceUrl,
      catalogs: [{ name: "extra_v2", type: "text", path: CATALOG_V2 }],
    });
    await expectLoaded("extra");
    expect(await typeFieldNames("x_products")).not.toContain("views");
    await expectQuery(`{ x_customers_aggregation { _rows_count name { min max } } }`, {
      x_customers_aggregation: {
        one:
          "select count(*) as _rows_count, jsonb_build_object('min', min(full_name), 'max', max(full_name)) as name " +
          "from customers",
      },
    });
  });
});

describe("unloading while queries run", () => {
  it("lets every in-flight query finish, refuses new ones, detaches and closes the pool", async () => {
    await insertSource({ name: "slowsrc", catalogs: [{ name: "slow", type: "text", path: SLOW_CATALOG }] });
    await expectLoaded("slowsrc");
    const [expected] = await sqlRows(`select id, s from (${SLOW_SQL}) v`);

    const inFlight = Array.from({ length: CONCURRENT }, () => gql(`{ slow { id s } }`));
    await vi.waitFor(async () => expect(await sleepingQueries("slowsrc")).toBe(CONCURRENT), {
      timeout: SLOW_SECONDS * 1000 - 500,
      interval: 20,
    });
    const unloaded = await operation("unload_data_source", "slowsrc");
    expect(unloaded.success, unloaded.message).toBe(true);
    expect(await statusOf("slowsrc")).toBe("detached");
    // While the old queries still run, a new one is checked against the schema without the source.
    expect(await sleepingQueries("slowsrc")).toBe(CONCURRENT);
    expect(await validationErrors(`{ slow { id } }`)).toEqual([
      expect.stringMatching(/^Cannot query field "slow" on type "Query"\./),
    ]);

    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
      expect(answer.body.data).toEqual({ slow: [expected] });
    }
    await vi.waitFor(async () => expect(await poolConnections("slowsrc")).toBe(0), {
      timeout: 10_000,
      interval: 50,
    });
    // Other sources never noticed.
    await expectQuery(`{ categories(order_by: [{field: "id"}]) { id name } }`, {
      categories: "select id, name from categories order by id",
    });
  });

  it("keeps its pool while loaded and closes the replaced pool after a reload", async () => {
    expect(await poolConnections("shop")).toBeGreaterThan(0);
    await expectLoaded("slowsrc");
    await gql(`{ slow { id } }`);
    expect(await poolConnections("slowsrc")).toBeGreaterThan(0);
    await expectLoaded("slowsrc");
    await gql(`{ slow { id } }`);
    // Only the new pool remains: one connection served the one query since.
    await vi.waitFor(async () => expect(await poolConnections("slowsrc")).toBe(1), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await operation("unload_data_source", "slowsrc")).success).toBe(true);
    await vi.waitFor(async () => expect(await poolConnections("slowsrc")).toBe(0), {
      timeout: 10_000,
      interval: 50,
    });
  });
});

describe("load failures", () => {
  it("a wrong port: success false without the password, status error with the reason, others keep serving", async () => {
    const port = await freePort();
    await insertSource({
      name: "badport",
      path: `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${port}/shop`,
      catalogs: [{ name: "badport", type: "text", path: CATALOG_V1 }],
      prefix: "bp",
    });
    const result = await operation("load_data_source", "badport");
    expect(result.success).toBe(false);
    expect(result.message).toBe(
      `data source 'badport' failed to load: cannot connect to the data source: connection refused (127.0.0.1:${port})`,
    );
    expect(await statusOf("badport")).toBe(
      `error: cannot connect to the data source: connection refused (127.0.0.1:${port})`,
    );
    expect(node.worker.dataSources.lastError("badport")).toContain("connection refused");
    expect(await rootFields()).not.toContain("bp_products");
    await expectShopServes();
  });

  it("a wrong password: the server's refusal, never the password tried nor the real one", async () => {
    const wrong = "not-the-password-9931";
    await insertSource({
      name: "badpw",
      path: `postgres://${ROLE}:${wrong}@127.0.0.1:${pg.port}/shop`,
      catalogs: [{ name: "badpw", type: "text", path: CATALOG_V1 }],
      prefix: "bw",
    });
    const result = await operation("load_data_source", "badpw");
    expect(result.success).toBe(false);
    expect(result.message).toBe(
      `data source 'badpw' failed to load: cannot connect to the data source: password authentication failed for user "${ROLE}"`,
    );
    const status = await statusOf("badpw");
    expect(status).toMatch(/^error: cannot connect to the data source: password authentication failed/);
    expect(`${result.message} ${status}`).not.toContain(wrong);
    expect(bodies.filter((body) => body.includes(wrong))).toEqual([]);
    await expectShopServes();
  });

  it("a syntax error in the SDL: its catalog, line and column", async () => {
    const sdl = 'type products @table(name: "products") {\n  id: Int! @pk\n  title String!\n}\n';
    const message = await failedLoad("badsyntax", sdl);
    expect(message).toMatch(/^text:badsyntax:3:9: Syntax Error: Expected ":", found Name "String"\.$/);
    expect(await statusOf("badsyntax")).toBe(`error: ${message}`);
  });

  it("an unsupported directive: named, with where it is", async () => {
    const sdl = 'type products @table(name: "products") @hypertable {\n  id: Int! @pk\n}\n';
    const message = await failedLoad("baddirective", sdl);
    expect(message).toMatch(
      /^text:baddirective:1:40: @hypertable on type 'products' is a hugr directive this server does not support;/,
    );
  });

  it("a table missing from the database: the object and the database's reason", async () => {
    const sdl = 'type archive @table(name: "orders_archive") {\n  id: Int! @pk\n}\n';
    const message = await failedLoad("badtable", sdl);
    expect(message).toBe('table archive (orders_archive): relation "orders_archive" does not exist');
  });

  it("a column missing from a table: the object and the column", async () => {
    const sdl = 'type categories @table(name: "categories") {\n  id: Int! @pk\n  colour: String\n}\n';
    const message = await failedLoad("badcolumn", sdl, "bc");
    expect(message).toMatch(/^table categories \(categories\): column categories\.colour does not exist$/);
    expect(await rootFields()).not.toContain("bc_categories");
  });

  it("a type this node cannot load: the error names the supported types", async () => {
    await insertSource({
      name: "mysqlsrc",
      type: "mysql",
      path: "mysql://user:pw@127.0.0.1:3306/shop",
      catalogs: [{ name: "mysqlsrc", type: "text", path: CATALOG_V1 }],
    });
    const result = await operation("load_data_source", "mysqlsrc");
    expect(result).toEqual({
      success: false,
      message:
        "data source 'mysqlsrc' failed to load: type 'mysql' cannot be loaded by this node (supported: postgres, duckdb)",
    });
    expect(await statusOf("mysqlsrc")).toMatch(/^error: .*supported: postgres, duckdb/);
  });

  it("a name collision: the second source without a prefix fails, the first keeps serving; with a prefix both serve", async () => {
    await insertSource({
      name: "shop_dup",
      catalogs: [{ name: "shop_dup", type: "text", path: CATALOG_V1 }],
    });
    const result = await operation("load_data_source", "shop_dup");
    expect(result.success).toBe(false);
    expect(result.message).toBe(
      "data source 'shop_dup' failed to load: Query.categories of data source 'shop_dup' collides with data source 'shop'",
    );
    expect(await statusOf("shop_dup")).toMatch(/^error: .*collides/);
    expect(await statusOf("shop")).toBe("attached");
    await expectShopServes();

    await data(
      `mutation { core { update_data_sources(filter: {name: {eq: "shop_dup"}}, data: {prefix: "dup"}) { name } } }`,
    );
    await expectLoaded("shop_dup");
    expect(await statusOf("shop_dup")).toBe("attached");
    await expectQuery(
      `{ dup_products(order_by: [{field: "id"}]) { id views } products(order_by: [{field: "id"}]) { id sku } }`,
      {
        dup_products: "select id, views from products order by id",
        products: "select id, sku from products order by id",
      },
    );
  });

  it("a disabled source: loading is refused with DATA_SOURCE_DISABLED and nothing is served", async () => {
    await insertSource({
      name: "off",
      prefix: "off",
      disabled: true,
      catalogs: [{ name: "off", type: "text", path: CATALOG_V1 }],
    });
    const { body } = await gql(
      `mutation { function { core { load_data_source(name: "off") { success message } } } }`,
    );
    expect(body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ["DATA_SOURCE_DISABLED", "data source 'off' is disabled: enable it before loading"],
    ]);
    expect(await statusOf("off")).toBe("detached");
    expect(await rootFields()).not.toContain("off_products");
  });
});

describe("a node starting on the same core database", () => {
  it("loads every enabled source again: attached and queryable, failures kept as errors, disabled ones not", async () => {
    await node.close();
    // A stopped node leaves no connection behind.
    for (const source of ["shop", "shop_dup", "extra"]) expect(await poolConnections(source)).toBe(0);
    node = await startNode();
    expect(await statusOf("shop")).toBe("attached");
    expect(await statusOf("shop_dup")).toBe("attached");
    expect(await statusOf("slowsrc")).toBe("attached");
    expect(await statusOf("off")).toBe("detached");
    expect(await statusOf("badport")).toMatch(
      /^error: cannot connect to the data source: connection refused/,
    );
    expect(await statusOf("badsyntax")).toMatch(/^error: text:badsyntax:3:9: /);
    expect(await statusOf("mysqlsrc")).toMatch(/^error: .*supported: postgres, duckdb/);
    expect(node.worker.dataSources.attached().sort()).toEqual(["extra", "shop", "shop_dup", "slowsrc"]);
    const roots = await rootFields();
    expect(roots).not.toContain("off_products");
    expect(roots).toContain("x_customers");
    await expectQuery(
      `{ products(order_by: [{field: "id"}]) { id sizes category { name } }
         customers_by_pk(id: 3) { name city }
         dup_categories(order_by: [{field: "id"}]) { id name } }`,
      {
        products:
          "select p.id, p.sizes, (select to_jsonb(c) from (select name from categories where id = p.category_id) c) " +
          "as category from products p order by p.id",
        customers_by_pk: { one: "select full_name as name, city from customers where id = 3" },
        dup_categories: "select id, name from categories order by id",
      },
    );
  });

  it("no response ever contained the DSN password", () => {
    expect(bodies.length).toBeGreaterThan(40);
    expect(bodies.filter((body) => body.includes(PASSWORD))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface OperationResult {
  success: boolean;
  message: string;
}

interface CatalogInput {
  name: string;
  type: string;
  path: string;
}

interface SourceInput {
  name: string;
  type?: string;
  path?: string;
  prefix?: string;
  disabled?: boolean;
  catalogs: CatalogInput[];
}

function startNode(): Promise<InProcessWorker> {
  return startInProcessWorker({
    CORE_DB_PATH: pg.url,
    DATA_SOURCE_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  });
}

/** GraphQL requests to the node, every response body kept for the password check. */
const { gql, data } = recordingClient(() => node, bodies);

/** The messages of a request the schema refuses: validation errors, nothing executed. */
async function validationErrors(query: string): Promise<string[]> {
  const { body } = await gql(query);
  expect(body.data ?? null).toBeNull();
  return (body.errors ?? []).map((e) => e.message);
}

/** insert_data_sources, without loading. */
async function insertSource(source: SourceInput): Promise<void> {
  await data(
    `mutation($data: data_sources_mut_input_data!) { core { insert_data_sources(data: $data) { name } } }`,
    {
      data: {
        type: "postgres",
        path: sourceUrl,
        prefix: "",
        ...source,
      },
    },
  );
}

async function operation(
  name: "load_data_source" | "unload_data_source",
  source: string,
): Promise<OperationResult> {
  const got = await data<{ function: { core: Record<string, OperationResult> } }>(
    `mutation { function { core { ${name}(name: "${source}") { success message } } } }`,
  );
  return got.function.core[name]!;
}

async function expectLoaded(name: string): Promise<void> {
  const result = await operation("load_data_source", name);
  expect(result, result.message).toEqual({ success: true, message: `data source '${name}' loaded` });
}

/** Registers a source with `sdl` as its catalog, loads it, expects failure and returns the reason. */
async function failedLoad(name: string, sdl: string, prefix = ""): Promise<string> {
  await insertSource({ name, prefix, catalogs: [{ name, type: "text", path: sdl }] });
  const result = await operation("load_data_source", name);
  expect(result.success).toBe(false);
  const lead = `data source '${name}' failed to load: `;
  expect(result.message.startsWith(lead), result.message).toBe(true);
  const reason = result.message.slice(lead.length);
  expect(await statusOf(name)).toBe(`error: ${reason}`);
  expect(node.worker.dataSources.lastError(name)).toBe(reason);
  return reason;
}

async function statusOf(name: string): Promise<string> {
  const got = await data<{ function: { core: { data_source_status: string } } }>(
    `{ function { core { data_source_status(name: "${name}") } } }`,
  );
  return got.function.core.data_source_status;
}

async function rootFields(): Promise<string[]> {
  const got = await data<{ __schema: { queryType: { fields: { name: string }[] } } }>(
    `{ __schema { queryType { fields { name } } } }`,
  );
  return got.__schema.queryType.fields.map((f) => f.name);
}

async function typeFieldNames(typeName: string): Promise<string[]> {
  const got = await data<{ __type: { fields: { name: string }[] } | null }>(
    `{ __type(name: "${typeName}") { fields { name } } }`,
  );
  expect(got.__type, `type ${typeName}`).not.toBeNull();
  return got.__type!.fields.map((f) => f.name);
}

/** The shop source still answers, as SQL does. */
async function expectShopServes(): Promise<void> {
  await expectQuery(`{ products(order_by: [{field: "id"}], limit: 3) { id title price } }`, {
    products: "select id, title, price from products order by id limit 3",
  });
}

/** Statements of `source`'s pool sleeping in the slow view right now. */
async function sleepingQueries(source: string): Promise<number> {
  const [row] = await admin`select count(*)::int as n from pg_stat_activity
    where application_name = ${`hugr:${source}`} and state = 'active' and query like '%pg_sleep%'`;
  return row!.n as number;
}

/** Open connections of `source`'s pool. */
async function poolConnections(source: string): Promise<number> {
  const [row] = await admin`select count(*)::int as n from pg_stat_activity
    where application_name = ${`hugr:${source}`}`;
  return row!.n as number;
}

/** Answers compared with the shop database's, BigInt normalised to numbers. */
const { sqlRows, expectQuery } = sqlComparison({
  db: () => db,
  data: (query) => data(query),
  normalise: normaliser({ bigint: ["views", "_rows_count"], json: ["attributes"] }),
});
