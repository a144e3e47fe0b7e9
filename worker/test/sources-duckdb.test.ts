import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { StorageSpec } from "@hugr/protocol";
import { STANDALONE_CONFIG, startManagementDouble, type ManagementDouble } from "./harness/management.js";
import { expectData } from "./harness/graphql-data.js";
import { s3ServerSpec, startS3Server, type S3Server } from "./harness/s3.js";
import {
  aggregationQuery,
  expectClose,
  expectedAnswers,
  type Expected,
  type Row,
  type TimestampReading,
} from "./harness/sql-compare.js";
import { freePort, startInProcessWorker, type InProcessWorker } from "./harness/worker.js";

/**
 * DuckDB data sources end to end: views over Parquet and CSV files the test writes, a `.duckdb`
 * file opened read-only (with a catalog, and self-defined), and the same files read from an
 * S3-compatible server (harness/s3.ts) through a registered object storage, registered on the node
 * directly and, once, distributed by a management node in cluster mode. Every answer is compared
 * with the same question asked of DuckDB directly, over the same files.
 */
const BUCKET = "lake";
const CLUSTER_SECRET = "duckdb-cluster-secret-for-tests";
const WRONG_SECRET = "not-the-lake-secret-3141";

let dir: string;
let cacheDir: string;
let node: InProcessWorker;
/** The test's own DuckDB: writes the files and answers every question the node is asked. */
let truthDb: DuckDBInstance;
let truth: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hugr-duckdb-"));
  cacheDir = join(dir, "cache");
  await mkdir(join(dir, "data"));
  truthDb = await DuckDBInstance.create(":memory:");
  truth = await truthDb.connect();
  await writeDataFiles(truth, dir);
  // The views the catalogs declare, under the same names, over the local files.
  await truth.run(`create view events as ${eventsSql(`${dir}/data/*.parquet`)}`);
  await truth.run(`create view customers as ${customersSql(`${dir}/data/customers.csv`)}`);
  node = await startInProcessWorker({ CORE_DB_PATH: join(dir, "core-db"), STORAGE_CACHE_DIR: cacheDir });
});

afterAll(async () => {
  await node?.close();
  truth?.closeSync();
  truthDb?.closeSync();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("views over Parquet and CSV files (in-memory DuckDB)", () => {
  beforeAll(async () => {
    await registerSource({
      name: "files",
      path: ":memory:",
      catalogs: [{ name: "files", type: "text", path: viewsCatalog(`${dir}/data`) }],
    });
    await expectLoaded("files");
  });

  it("filters, orders and pages rows read from Parquet", async () => {
    await expectQuery(
      `{ a: events(filter: {kind: {eq: "buy"}, amount: {gt: 40}}, order_by: [{field: "amount", direction: DESC}, {field: "id"}], limit: 7, offset: 2) {
           id customer_id kind amount flagged day happened_at note }
         b: events(filter: {_or: [{note: {is_null: true}}, {day: {gte: "2024-02-05"}}]}, order_by: [{field: "happened_at", direction: DESC}]) { id day note }
         c: events_by_pk(id: 17) { id kind amount happened_at } }`,
      {
        a:
          "select id, customer_id, kind, amount, flagged, day, happened_at, note from events " +
          "where kind = 'buy' and amount > 40 order by amount desc, id limit 7 offset 2",
        b: "select id, day, note from events where note is null or day >= '2024-02-05' order by happened_at desc",
        c: { one: "select id, kind, amount, happened_at from events where id = 17" },
      },
    );
  });

  it("filters and orders rows read from CSV", async () => {
    await expectQuery(
      `{ a: customers(filter: {city: {in: ["Oslo", "Lyon"]}}, order_by: [{field: "name", direction: DESC}]) { id name city vip }
         b: customers(filter: {city: {is_null: true}}, order_by: [{field: "id"}]) { id name }
         c: customers(filter: {name: {like: "%1%"}, vip: {eq: false}}, order_by: [{field: "id"}], limit: 3) { id } }`,
      {
        a: "select id, name, city, vip from customers where city in ('Oslo', 'Lyon') order by name desc",
        b: "select id, name from customers where city is null order by id",
        c: "select id from customers where name like '%1%' and not vip order by id limit 3",
      },
    );
  });

  it("aggregates, with and without a filter", async () => {
    await expectAggregation("events", "", "events", {
      amount: ["count", "sum", "avg", "min", "max"],
      id: ["count", "min", "max"],
    });
    await expectAggregation(
      "events",
      `filter: {flagged: {eq: false}, kind: {eq: "view"}}`,
      "events where not flagged and kind = 'view'",
      {
        amount: ["sum", "avg", "max"],
      },
    );
    await expectAggregation("customers", "", "customers", { id: ["count", "sum"] });
  });

  it("follows relations declared between the views, both ways", async () => {
    await expectQuery(
      `{ customers(order_by: [{field: "id"}]) { id name events(order_by: [{field: "amount", direction: DESC}, {field: "id"}], limit: 2) { id amount } }
         events(order_by: [{field: "id"}], limit: 6) { id customer { name city } } }`,
      {
        customers:
          "select c.id, c.name, coalesce((select list({'id': e.id, 'amount': e.amount} order by e.amount desc, e.id) " +
          "from (select id, amount from events where customer_id = c.id order by amount desc, id limit 2) e), []) " +
          "as events from customers c order by c.id",
        events:
          "select e.id, (select {'name': c.name, 'city': c.city} from customers c where c.id = e.customer_id) as customer " +
          "from events e order by e.id limit 6",
      },
    );
  });

  it("has no mutation fields", async () => {
    expect((await mutationFields()).filter((f) => /events|customers/.test(f))).toEqual([]);
  });

  afterAll(async () => {
    await operation("unload_data_source", "files");
  });
});

describe("lists and JSON in a DuckDB view", () => {
  const SHAPES_SQL =
    "select * from (values (1, ['red', 'blue'], '{\"size\": 3, \"tags\": {\"a\": 1}}'::JSON, 'Alpha'), " +
    "(2, ['blue'], '{\"size\": 5}'::JSON, 'beta'), (3, [], '{}'::JSON, 'Gamma'), (4, NULL, NULL, 'alpha2')) " +
    "as t(id, colors, meta, label)";

  beforeAll(async () => {
    await truth.run(`create view shapes as ${SHAPES_SQL}`);
    const catalog = `type shapes @view(name: "shapes", sql: "${SHAPES_SQL.replaceAll('"', '\\"')}") {
      id: Int! @pk
      colors: [String]
      meta: JSON
      label: String
    }`;
    await registerSource({
      name: "shapes",
      path: ":memory:",
      catalogs: [{ name: "shapes", type: "text", path: catalog }],
    });
    await expectLoaded("shapes");
  });

  it("filters lists with contains, intersects and is_null, JSON with has, has_all, contains, and text with ilike and regex", async () => {
    await expectQuery(
      `{ a: shapes(filter: {colors: {contains: ["blue"]}}, order_by: [{field: "id"}]) { id colors }
         b: shapes(filter: {colors: {intersects: ["red", "green"]}}) { id }
         c: shapes(filter: {colors: {is_null: true}}) { id }
         d: shapes(filter: {meta: {has: "size"}}, order_by: [{field: "id"}]) { id meta }
         e: shapes(filter: {meta: {has_all: ["size", "tags"]}}) { id }
         f: shapes(filter: {meta: {contains: {size: 5}}}) { id }
         g: shapes(filter: {label: {ilike: "alpha%"}}, order_by: [{field: "id"}]) { id label }
         h: shapes(filter: {label: {regex: "^[A-Z]"}}, order_by: [{field: "id"}]) { id } }`,
      {
        a: "select id, colors from shapes where list_has_all(colors, ['blue']) order by id",
        b: "select id from shapes where list_has_any(colors, ['red', 'green'])",
        c: "select id from shapes where colors is null",
        d: "select id, meta from shapes where json_exists(meta, '$.size') order by id",
        e: "select id from shapes where json_exists(meta, '$.size') and json_exists(meta, '$.tags')",
        f: "select id from shapes where json_contains(meta, '{\"size\": 5}')",
        g: "select id, label from shapes where label ilike 'alpha%' order by id",
        h: "select id from shapes where regexp_matches(label, '^[A-Z]') order by id",
      },
    );
  });
});

describe("a .duckdb file opened read-only", () => {
  let file: string;

  beforeAll(async () => {
    file = join(dir, "library.duckdb");
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    for (const statement of LIBRARY_SQL) await connection.run(statement);
    connection.closeSync();
    instance.closeSync();
    await truth.run(`attach '${file}' as library (read_only)`);
  });

  it("with a catalog: tables, filters, relations and aggregations answer as DuckDB does; no mutations", async () => {
    await registerSource({
      name: "library",
      path: file,
      catalogs: [{ name: "library", type: "text", path: LIBRARY_CATALOG }],
    });
    await expectLoaded("library");
    await expectQuery(
      `{ books(filter: {year: {gte: 1950}, price: {lt: 100}}, order_by: [{field: "year"}, {field: "id"}]) { id title year price published author { name country } }
         authors(order_by: [{field: "id"}]) { id name books(order_by: [{field: "title"}]) { title } }
         authors_by_pk(id: 3) { name country } }`,
      {
        books:
          "select b.id, b.title, b.year, b.price, b.published, (select {'name': a.name, 'country': a.country} " +
          "from library.authors a where a.id = b.author_id) as author from library.books b " +
          "where b.year >= 1950 and b.price < 100 order by b.year, b.id",
        authors:
          "select a.id, a.name, coalesce((select list({'title': b.title} order by b.title) from library.books b " +
          "where b.author_id = a.id), []) as books from library.authors a order by a.id",
        authors_by_pk: { one: "select name, country from library.authors where id = 3" },
      },
    );
    await expectAggregation(
      "books",
      `filter: {author: {country: {eq: "NO"}}}`,
      "library.books b where exists (select 1 from library.authors a where a.id = b.author_id and a.country = 'NO')",
      {
        price: ["count", "sum", "avg", "min", "max"],
        year: ["min", "max"],
      },
    );
    expect(await mutationFields()).toEqual(["core", "function"]);
    const { body } = await node.gql(
      `mutation { insert_books(data: {id: 999, author_id: 1, title: "x"}) { id } }`,
    );
    expect(body.errors?.[0]?.message).toMatch(/^Cannot query field "insert_books" on type "Mutation"/);
    await operation("unload_data_source", "library");
  });

  it("self_defined without a catalog: tables and the foreign key introspected", async () => {
    await registerSource({ name: "library_auto", path: file, self_defined: true, catalogs: [] });
    await expectLoaded("library_auto");
    // Introspected relations are named after the other table (catalogs/introspect.ts).
    await expectQuery(
      `{ books(filter: {author_id: {in: [2, 5]}}, order_by: [{field: "id"}]) { id title author_id authors { name } }
         authors(order_by: [{field: "id"}]) { id books_aggregation { _rows_count } } }`,
      {
        books:
          "select b.id, b.title, b.author_id, (select {'name': a.name} from library.authors a where a.id = b.author_id) " +
          "as authors from library.books b where b.author_id in (2, 5) order by b.id",
        authors:
          "select a.id, {'_rows_count': (select count(*) from library.books b where b.author_id = a.id)} " +
          "as books_aggregation from library.authors a order by a.id",
      },
    );
    expect(await mutationFields()).toEqual(["core", "function"]);
    await operation("unload_data_source", "library_auto");
  });

  it("a missing file: the load error names it", async () => {
    const missing = join(dir, "missing.duckdb");
    await registerSource({ name: "nofile", path: missing, self_defined: true, catalogs: [] });
    expect(await operation("load_data_source", "nofile")).toEqual({
      success: false,
      message: `data source 'nofile' failed to load: the DuckDB database file ${missing} does not exist`,
    });
  });
});

describe("files on an S3-compatible object storage", () => {
  let s3: S3Server;
  const bodies: string[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    for (const name of ["part-1.parquet", "part-2.parquet", "customers.csv"]) {
      await s3.putObject(BUCKET, `data/${name}`, await readFile(join(dir, "data", name)));
    }
    // A catalog in two files, with views that read the bucket.
    const [events, customers] = viewsCatalog(`s3://${BUCKET}/data`).split("\n\n");
    await s3.putObject(BUCKET, "catalogs/events.graphql", events!);
    await s3.putObject(BUCKET, "catalogs/more/customers.graphql", customers!);
    await s3.putObject(BUCKET, "catalogs/readme.txt", "not a catalog");
    await registerSource({
      name: "lake_views",
      path: ":memory:",
      prefix: "lv",
      catalogs: [{ name: "lake_views", type: "text", path: viewsCatalog(`s3://${BUCKET}/data`) }],
    });
    await registerSource({
      name: "lake_catalog",
      path: ":memory:",
      prefix: "lc",
      catalogs: [{ name: "lake_catalog", type: "uri", path: `s3://${BUCKET}/catalogs/` }],
    });
  });

  afterAll(async () => {
    expect(bodies.filter((body) => body.includes(s3.secretKey) || body.includes(WRONG_SECRET))).toEqual([]);
    await s3?.stop();
  });

  const load = async (name: string): Promise<OperationResult> => {
    const result = await operation("load_data_source", name);
    bodies.push(JSON.stringify(result), await statusOf(name));
    return result;
  };

  it("without a registered storage: the load errors name the URL", async () => {
    expect(node.worker.storages.names()).toEqual([]);
    const views = await load("lake_views");
    expect(views.success).toBe(false);
    expect(views.message).toMatch(
      /^data source 'lake_views' failed to load: no registered storage covers s3:\/\/lake\/data\/(\*\.parquet|customers\.csv)$/,
    );
    expect(await statusOf("lake_views")).toMatch(/^error: no registered storage covers s3:\/\/lake\/data\//);
    expect(await load("lake_catalog")).toEqual({
      success: false,
      message:
        "data source 'lake_catalog' failed to load: catalog 'lake_catalog': no registered object storage covers " +
        "s3://lake/catalogs/; register one with register_object_storage",
    });
  });

  it("with a wrong secret: the load errors give S3's refusal, never the secret", async () => {
    node.worker.storages.put(storageSpec(s3, { secret: WRONG_SECRET }));
    const views = await load("lake_views");
    expect(views.success).toBe(false);
    expect(views.message).toMatch(
      /storage 'lake': cannot (read|list) s3:\/\/lake\/data\/.*HTTP 403 SignatureDoesNotMatch/,
    );
    const catalog = await load("lake_catalog");
    expect(catalog.success).toBe(false);
    expect(catalog.message).toMatch(/s3:\/\/lake\/catalogs\/.*SignatureDoesNotMatch/);
    for (const message of [views.message, catalog.message, await statusOf("lake_views")]) {
      expect(message).not.toContain(WRONG_SECRET);
    }
  });

  it("with the storage registered: views over s3:// files and a catalog read from s3:// serve the bucket's rows", async () => {
    node.worker.storages.put(storageSpec(s3));
    await expectLoaded("lake_views");
    await expectLoaded("lake_catalog");
    expect(await statusOf("lake_views")).toBe("attached");
    await expectQuery(
      `{ lv_events(filter: {kind: {eq: "click"}}, order_by: [{field: "happened_at"}], limit: 10) { id amount happened_at }
         lv_customers(order_by: [{field: "id"}]) { id name city vip events(order_by: [{field: "id"}], limit: 1) { id } }
         lc_events(filter: {amount: {gte: 100}}, order_by: [{field: "id", direction: DESC}]) { id day customer { name } }
         lc_customers_by_pk(id: 4) { name } }`,
      {
        lv_events:
          "select id, amount, happened_at from events where kind = 'click' order by happened_at limit 10",
        lv_customers:
          "select c.id, c.name, c.city, c.vip, coalesce((select list({'id': e.id} order by e.id) from " +
          "(select id from events where customer_id = c.id order by id limit 1) e), []) as events from customers c order by c.id",
        lc_events:
          "select e.id, e.day, (select {'name': c.name} from customers c where c.id = e.customer_id) as customer " +
          "from events e where amount >= 100 order by id desc",
        lc_customers_by_pk: { one: "select name from customers where id = 4" },
      },
    );
    await expectAggregation("lc_events", "", "events", { amount: ["sum", "max"] });
    const cached = join(cacheDir, "lake", BUCKET, "data");
    expect(
      ["part-1.parquet", "part-2.parquet", "customers.csv"].map((f) => existsSync(join(cached, f))),
    ).toEqual([true, true, true]);
  });

  it("after the storage is unregistered: its cached files are gone and loading again fails", async () => {
    expect(node.worker.storages.remove("lake")).toBe(true);
    await vi.waitFor(() => expect(existsSync(join(cacheDir, "lake"))).toBe(false), { timeout: 5_000 });
    const views = await load("lake_views");
    expect(views.success).toBe(false);
    expect(views.message).toMatch(/no registered storage covers s3:\/\/lake\/data\//);
    expect(await load("lake_catalog")).toMatchObject({
      success: false,
      message: expect.stringContaining("no registered object storage covers s3://lake/catalogs/") as unknown,
    });
    expect(await statusOf("lake_catalog")).toMatch(/^error: /);
  });

  describe("in cluster mode, the storage distributed by the management node", () => {
    let management: ManagementDouble;
    let member: InProcessWorker;
    const memberCache = (): string => join(dir, "member-cache");

    beforeAll(async () => {
      management = await startManagementDouble(CLUSTER_SECRET);
      management.config = { ...STANDALONE_CONFIG, version: "storages-1", storages: [storageSpec(s3)] };
      const port = await freePort();
      member = await startInProcessWorker({
        CORE_DB_PATH: join(dir, "member-core-db"),
        STORAGE_CACHE_DIR: memberCache(),
        CLUSTER_SECRET,
        CLUSTER_MANAGEMENT_URL: management.url,
        CLUSTER_NODE_NAME: `member-${port}`,
        CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
      });
      await member.worker.converged;
    });

    afterAll(async () => {
      await member?.close();
      await management?.close();
    });

    it("registers the storage from the heartbeat config, serves the bucket, and forgets it with its cache", async () => {
      expect(member.worker.storages.names()).toEqual(["lake"]);
      await registerSource(
        {
          name: "lake_views",
          path: ":memory:",
          catalogs: [{ name: "lake_views", type: "text", path: viewsCatalog(`s3://${BUCKET}/data`) }],
        },
        member,
      );
      await expectLoaded("lake_views", member);
      await expectQuery(
        `{ events(filter: {flagged: {eq: true}}, order_by: [{field: "id"}]) { id amount } }`,
        { events: "select id, amount from events where flagged order by id" },
        member,
      );
      expect(existsSync(join(memberCache(), "lake", BUCKET, "data", "part-1.parquet"))).toBe(true);

      management.config = { ...management.config, version: "storages-2", storages: [] };
      await vi.waitFor(() => expect(management.appliedVersion()).toBe("storages-2"), { timeout: 5_000 });
      expect(member.worker.storages.names()).toEqual([]);
      await vi.waitFor(() => expect(existsSync(join(memberCache(), "lake"))).toBe(false), { timeout: 5_000 });
      const again = await operation("load_data_source", "lake_views", member);
      expect(again.success).toBe(false);
      expect(again.message).toMatch(/no registered storage covers s3:\/\/lake\/data\//);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface OperationResult {
  success: boolean;
  message: string;
}

interface SourceInput {
  name: string;
  path: string;
  prefix?: string;
  self_defined?: boolean;
  catalogs: { name: string; type: string; path: string }[];
}

/** 120 events in two Parquet files, 12 customers in a CSV file with a header. */
async function writeDataFiles(connection: DuckDBConnection, root: string): Promise<void> {
  const events = (from: number, to: number): string =>
    `select i::integer as id, (i % 12 + 1)::integer as customer_id, ['click', 'view', 'buy'][i % 3 + 1] as kind,
       round(i * 1.37 + (i % 7) * 0.11, 2)::double as amount, i % 5 = 0 as flagged,
       date '2024-01-01' + (i % 40)::integer as day,
       timestamp '2024-01-01 00:00:00' + to_milliseconds(i * 3607123) as happened_at,
       case when i % 9 = 0 then null when i % 10 = 0 then 'it''s "quoted"' else 'note ' || i end as note
     from range(${from}, ${to + 1}) t(i)`;
  await connection.run(`copy (${events(1, 60)}) to '${root}/data/part-1.parquet' (format parquet)`);
  await connection.run(`copy (${events(61, 120)}) to '${root}/data/part-2.parquet' (format parquet)`);
  await connection.run(
    `copy (select i::integer as id, 'Customer ' || i as name, ['Oslo', 'Lyon', 'Osaka', null][i % 4 + 1] as city,
       i % 3 = 0 as vip from range(1, 13) t(i)) to '${root}/data/customers.csv' (header, delimiter ',')`,
  );
}

function eventsSql(parquet: string): string {
  return `select * from read_parquet('${parquet}')`;
}

function customersSql(csv: string): string {
  return `select * from read_csv_auto('${csv}')`;
}

/** Views over `<folder>/*.parquet` and `<folder>/customers.csv`, related; two definitions, one blank line apart. */
function viewsCatalog(folder: string): string {
  return `type events @view(name: "events", sql: "${eventsSql(`${folder}/*.parquet`)}") {
  id: Int! @pk
  customer_id: Int!
    @field_references(name: "events_customer", references_name: "customers", field: "id",
      query: "customer", references_query: "events")
  kind: String!
  amount: Float!
  flagged: Boolean!
  day: Date!
  happened_at: Timestamp!
  note: String
}

type customers @view(name: "customers", sql: "${customersSql(`${folder}/customers.csv`)}") {
  id: Int! @pk
  name: String!
  city: String
  vip: Boolean!
}
`;
}

/** Authors and their books; author 8 has none, some books have no year or price. */
const LIBRARY_SQL = [
  "create table authors (id integer primary key, name varchar not null, country varchar)",
  "create table books (id integer primary key, author_id integer not null references authors (id), " +
    "title varchar not null, year integer, price decimal(8, 2), published date)",
  "insert into authors select i, 'Author ' || i, ['NO', 'FR', 'JP', null][i % 4 + 1] from range(1, 9) t(i)",
  "insert into books select i, i % 7 + 1, 'Book ' || lpad(i::varchar, 2, '0'), " +
    "case when i % 11 = 0 then null else 1900 + (i * 7) % 120 end, " +
    "case when i % 13 = 0 then null else round(i * 3.25, 2) end, date '1950-01-01' + (i * 300)::integer " +
    "from range(1, 41) t(i)",
];

const LIBRARY_CATALOG = `
type authors @table(name: "authors") {
  id: Int! @pk
  name: String!
  country: String
}

type books @table(name: "books") {
  id: Int! @pk
  author_id: Int!
    @field_references(name: "books_author", references_name: "authors", field: "id",
      query: "author", references_query: "books")
  title: String!
  year: Int
  price: Float
  published: Date
}
`;

/** The `lake` storage on the test's S3 server. */
function storageSpec(s3: S3Server, overrides: Partial<StorageSpec> = {}): StorageSpec {
  return s3ServerSpec(s3, { name: "lake", scope: `s3://${BUCKET}`, ...overrides });
}

/** The data of a request that must succeed. */
async function data<T = Row>(
  query: string,
  variables?: Record<string, unknown>,
  target: InProcessWorker = node,
): Promise<T> {
  return expectData<T>(await target.gql(query, variables));
}

async function registerSource(source: SourceInput, target: InProcessWorker = node): Promise<void> {
  await data(
    `mutation($data: data_sources_mut_input_data!) { core { insert_data_sources(data: $data) { name } } }`,
    { data: { type: "duckdb", prefix: "", ...source } },
    target,
  );
}

async function operation(
  name: "load_data_source" | "unload_data_source",
  source: string,
  target: InProcessWorker = node,
): Promise<OperationResult> {
  const got = await data<{ function: { core: Record<string, OperationResult> } }>(
    `mutation { function { core { ${name}(name: "${source}") { success message } } } }`,
    undefined,
    target,
  );
  return got.function.core[name]!;
}

async function expectLoaded(name: string, target: InProcessWorker = node): Promise<void> {
  const result = await operation("load_data_source", name, target);
  expect(result, result.message).toEqual({ success: true, message: `data source '${name}' loaded` });
}

async function statusOf(name: string): Promise<string> {
  const got = await data<{ function: { core: { data_source_status: string } } }>(
    `{ function { core { data_source_status(name: "${name}") } } }`,
  );
  return got.function.core.data_source_status;
}

async function mutationFields(): Promise<string[]> {
  const got = await data<{ __type: { fields: { name: string }[] } }>(
    `{ __type(name: "Mutation") { fields { name } } }`,
  );
  return got.__type.fields.map((f) => f.name).sort();
}

/** The rows of a query asked of the test's DuckDB, each as DuckDB's own JSON of it. */
async function duckRows(sql: string): Promise<Row[]> {
  const reader = await truth.runAndReadAll(`select to_json(q)::varchar as j from (${sql}) q`);
  return reader.getRowObjectsJson().map((row) => JSON.parse(row.j as string) as Row);
}

/**
 * Asks DuckDB every question first, then the node, and compares each top-level field of the answer
 * with DuckDB's rows (timestamps as instants, numbers to float rounding). Returns the data.
 */
async function expectQuery(
  query: string,
  expected: Record<string, Expected>,
  target: InProcessWorker = node,
): Promise<Row> {
  const want = await expectedAnswers(expected, duckRows);
  const got = await data(query, undefined, target);
  for (const field of Object.keys(expected)) {
    expect(want[field], `${field}: DuckDB found nothing, so the case tests nothing`).not.toEqual([]);
    expectClose(got[field], want[field], field, DUCKDB_TIMESTAMPS);
  }
  return got;
}

/**
 * Compares `<object>_aggregation(args) { _rows_count field { op … } … }` with the same aggregates
 * asked of DuckDB over `from` (a relation, optionally with a where clause).
 */
async function expectAggregation(
  object: string,
  args: string,
  from: string,
  spec: Record<string, string[]>,
): Promise<void> {
  const parts = ["'_rows_count': count(*)"];
  for (const [field, ops] of Object.entries(spec)) {
    parts.push(`'${field}': {${ops.map((op) => `'${op}': ${op}(${field})`).join(", ")}}`);
  }
  const [row] = await duckRows(`select {${parts.join(", ")}} as a from ${from}`);
  const got = await data<{ a: Row }>(aggregationQuery(object, args, spec));
  expectClose(got.a, row!.a, object, DUCKDB_TIMESTAMPS);
}

/** A date and time, with or without a zone: DuckDB prints `2024-01-01 10:00:00`, the node ISO 8601. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** Naive timestamps (DuckDB's TIMESTAMP) are read as UTC on both sides. */
function instant(text: string): number {
  const iso = text.replace(" ", "T");
  return Date.parse(/(Z|[+-]\d{2}(:?\d{2})?)$/.test(iso) ? iso : `${iso}Z`);
}

/** Dates and times as DuckDB and the node spell them, with or without a zone. */
const DUCKDB_TIMESTAMPS: TimestampReading = { pattern: TIMESTAMP, instant };
