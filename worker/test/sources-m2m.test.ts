import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectData } from "./harness/graphql-data.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { expectClose, type Row } from "./harness/sql-compare.js";
import { startInProcessWorker, type InProcessWorker } from "./harness/worker.js";

/**
 * Many-to-many relations (hugr's `@table(is_m2m: true)`) end to end, on PostgreSQL and on DuckDB:
 * products and categories linked by product_categories (declared with @field_references), products
 * and tags by product_tags (declared with @references on the type). The same tables and rows are in a
 * PostgreSQL database and a `.duckdb` file; each is registered as a data source with the catalog
 * below and asked the same questions, and every answer is compared with the same question asked in
 * SQL of that database (portable SQL, so one question serves both engines).
 */
const CATALOG = `
type products @table(name: "products") {
  id: Int! @pk
  title: String!
  price: Float!
  stock: Int
}

type categories @table(name: "categories") @unique(fields: ["name"]) {
  id: Int! @pk
  name: String!
}

type tags @table(name: "tags") {
  name: String! @pk
}

type product_categories @table(name: "product_categories", is_m2m: true) {
  product_id: Int! @pk
    @field_references(references_name: "products", field: "id", query: "product", references_query: "categories")
  category_id: Int! @pk
    @field_references(references_name: "categories", field: "id", query: "category", references_query: "products")
}

type product_tags @table(name: "product_tags", is_m2m: true)
  @references(references_name: "products", source_fields: ["product_id"], references_fields: ["id"],
    query: "product", references_query: "tags")
  @references(references_name: "tags", source_fields: ["tag"], references_fields: ["name"],
    query: "tag_row", references_query: "products") {
  product_id: Int! @pk
  tag: String! @pk
}
`;

const SCHEMA = [
  "create table products (id integer primary key, title varchar not null, price decimal(10, 2) not null, stock integer)",
  "create table categories (id integer primary key, name varchar not null unique)",
  "create table tags (name varchar primary key)",
  "create table product_categories (product_id integer not null references products (id), " +
    "category_id integer not null references categories (id), primary key (product_id, category_id))",
  "create table product_tags (product_id integer not null references products (id), " +
    "tag varchar not null references tags (name), primary key (product_id, tag))",
];

const PRODUCT_IDS = Array.from({ length: 12 }, (_, i) => i + 1);
const TAGS = ["new", "sale", "eco", "gift", "unused"];

/**
 * The rows, the same in both engines: products 11 and 12 have no category, category 5 (Empty) and
 * tag "unused" no product; some products are in two categories, some stocks are NULL.
 */
const SEED = [
  `insert into products values ${PRODUCT_IDS.map(
    (id) => `(${id}, 'Product ${id}', ${((id * 7.25) % 40) + 1}, ${id % 5 === 0 ? "null" : (id * 3) % 11})`,
  ).join(", ")}`,
  "insert into categories values (1, 'Books'), (2, 'Games'), (3, 'Garden'), (4, 'Tools'), (5, 'Empty')",
  `insert into tags values ${TAGS.map((tag) => `('${tag}')`).join(", ")}`,
  `insert into product_categories values ${PRODUCT_IDS.filter((id) => id <= 10)
    .flatMap((id) => [[id, (id % 4) + 1], ...(id % 3 === 0 ? [[id, ((id + 1) % 4) + 1]] : [])])
    .map(([product, category]) => `(${product}, ${category})`)
    .join(", ")}`,
  `insert into product_tags values ${PRODUCT_IDS.flatMap((id) =>
    TAGS.slice(0, 4)
      .filter((_, k) => [1, 2].includes((id * (k + 1)) % 5))
      .map((tag) => `(${id}, '${tag}')`),
  ).join(", ")}`,
];

let pg: PostgresInstance;
let pgUrl: string;
let db: postgres.Sql;
let dir: string;
let duckFile: string;
let truthDb: DuckDBInstance;
let truth: DuckDBConnection;
let node: InProcessWorker;

beforeAll(async () => {
  pg = await startPostgres();
  pgUrl = await pg.createDatabase("m2m");
  db = postgres(pgUrl, { max: 2, onnotice: () => {} });
  await db.begin(async (tx) => {
    for (const statement of [...SCHEMA, ...SEED]) await tx.unsafe(statement);
  });
  dir = await mkdtemp(join(tmpdir(), "hugr-m2m-"));
  duckFile = join(dir, "shop.duckdb");
  const writer = await DuckDBInstance.create(duckFile);
  const connection = await writer.connect();
  for (const statement of [...SCHEMA, ...SEED]) await connection.run(statement);
  connection.closeSync();
  writer.closeSync();
  truthDb = await DuckDBInstance.create(":memory:");
  truth = await truthDb.connect();
  await truth.run(`attach '${duckFile}' as shop (read_only)`);
  await truth.run("use shop");
  node = await startInProcessWorker({ CORE_DB_PATH: pg.url });
  await register({ name: "m2m_pg", type: "postgres", path: pgUrl });
  await register({ name: "m2m_duck", type: "duckdb", path: duckFile });
});

afterAll(async () => {
  await node?.close();
  truth?.closeSync();
  truthDb?.closeSync();
  await db?.end({ timeout: 5 });
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One data source holding the tables, and the test's own connection to the same database. */
interface Engine {
  name: string;
  source: string;
  /** Each row of a query as JSON, asked directly of the database. */
  rows(sql: string): Promise<Row[]>;
}

const ENGINES: Engine[] = [
  {
    name: "PostgreSQL",
    source: "m2m_pg",
    rows: async (sql) => {
      const rows = await db.unsafe(`select to_jsonb(q) as j from (${sql}) q`);
      return rows.map((row) => row.j as Row);
    },
  },
  {
    name: "DuckDB",
    source: "m2m_duck",
    rows: async (sql) => {
      const reader = await truth.runAndReadAll(`select to_json(q)::varchar as j from (${sql}) q`);
      return reader.getRowObjectsJson().map((row) => JSON.parse(row.j as string) as Row);
    },
  },
];

/** A product's categories (`pc`, `c`) or tags (`pt`), and a category's products (`pc`, `p`): SQL joins. */
const PRODUCT_CATEGORIES = "product_categories pc join categories c on c.id = pc.category_id";
const CATEGORY_PRODUCTS = "product_categories pc join products p on p.id = pc.product_id";
const PRODUCT_TAGS = "product_tags pt join tags t on t.name = pt.tag";

describe.each(ENGINES)("many-to-many relations on $name", (engine) => {
  beforeAll(async () => {
    await operation("load_data_source", engine.source);
  });

  afterAll(async () => {
    await operation("unload_data_source", engine.source);
  });

  /** Compares each field of the answer with the rows of its {@link Expected} question. */
  const expectAnswers = async (query: string, expected: Record<string, Expected>): Promise<void> => {
    const want: Row = {};
    for (const [field, question] of Object.entries(expected)) {
      const rows = await answer(engine, question);
      if ("one" in question) want[field] = rows[0] ?? null;
      else want[field] = rows;
      expect(rows, `${field}: the database found nothing, so the case tests nothing`).not.toEqual([]);
    }
    const got = await data(query);
    for (const field of Object.keys(expected)) expectClose(got[field], want[field], field);
  };

  it("generates the relation on both linked objects, and keeps the link table's own relations", async () => {
    const fields = async (type: string): Promise<string[]> => {
      const got = await data<{ __type: { fields: { name: string }[] } }>(
        `{ __type(name: "${type}") { fields { name } } }`,
      );
      return got.__type.fields.map((f) => f.name).sort();
    };
    expect(await fields("products")).toEqual(
      [
        "categories",
        "categories_aggregation",
        "id",
        "price",
        "stock",
        "tags",
        "tags_aggregation",
        "title",
      ].sort(),
    );
    expect(await fields("categories")).toEqual(["id", "name", "products", "products_aggregation"]);
    expect(await fields("tags")).toEqual(["name", "products", "products_aggregation"]);
    expect(await fields("product_categories")).toEqual(["category", "category_id", "product", "product_id"]);
    expect(await fields("product_tags")).toEqual(["product", "product_id", "tag", "tag_row"]);
  });

  it("lists the linked rows both ways, with the relation's filter, order_by, limit, offset and distinct_on", async () => {
    await expectAnswers(
      `{ products(order_by: [{field: "id"}]) { id title
           categories(order_by: [{field: "name"}]) { id name }
           tags(order_by: [{field: "name", direction: DESC}]) { name } }
         categories(order_by: [{field: "id"}]) { id
           products(filter: {price: {gt: 5}}, order_by: [{field: "price", direction: DESC}, {field: "id"}], limit: 2, offset: 1) { id price }
           stocks: products(distinct_on: ["stock"], order_by: [{field: "stock"}, {field: "id"}]) { stock id } } }`,
      {
        products: {
          sql: "select id, title from products order by id",
          nest: {
            categories: {
              sql: `select pc.product_id as parent, c.id, c.name from ${PRODUCT_CATEGORIES} order by c.name`,
            },
            tags: { sql: `select pt.product_id as parent, t.name from ${PRODUCT_TAGS} order by t.name desc` },
          },
        },
        categories: {
          sql: "select id from categories order by id",
          nest: {
            products: {
              sql:
                "select parent, id, price from (select pc.category_id as parent, p.id, p.price, " +
                "row_number() over (partition by pc.category_id order by p.price desc, p.id) as k " +
                `from ${CATEGORY_PRODUCTS} where p.price > 5) r where k between 2 and 3 order by price desc, id`,
            },
            stocks: {
              sql:
                "select parent, stock, id from (select pc.category_id as parent, p.stock, p.id, " +
                "row_number() over (partition by pc.category_id, p.stock order by p.id) as k " +
                `from ${CATEGORY_PRODUCTS}) r where k = 1 order by stock, id`,
            },
          },
        },
      },
    );
  });

  it("nests relations of relations, in _by_pk and _by_<unique> too, and the link table stays a table", async () => {
    await expectAnswers(
      `{ categories(order_by: [{field: "id"}]) { id name
           products(order_by: [{field: "id"}]) { id tags(order_by: [{field: "name"}]) { name products_aggregation { _rows_count } } } }
         categories_by_pk(id: 2) { id name products(order_by: [{field: "id"}]) { id categories(order_by: [{field: "id"}]) { id } } }
         categories_by_name(name: "Books") { id products_aggregation { _rows_count } }
         product_categories(filter: {category: {name: {in: ["Games", "Tools"]}}}, order_by: [{field: "category_id"}, {field: "product_id"}]) {
           product_id category_id product { title } category { name } } }`,
      {
        categories: {
          sql: "select id, name from categories order by id",
          nest: {
            products: {
              sql: `select pc.category_id as parent, p.id from ${CATEGORY_PRODUCTS} order by p.id`,
              nest: {
                tags: {
                  sql:
                    'select pt.product_id as parent, t.name, (select count(*) from product_tags x where x.tag = t.name) as "products_aggregation._rows_count" ' +
                    `from ${PRODUCT_TAGS} order by t.name`,
                },
              },
            },
          },
        },
        categories_by_pk: {
          one: true,
          sql: "select id, name from categories where id = 2",
          nest: {
            products: {
              sql: `select pc.category_id as parent, p.id from ${CATEGORY_PRODUCTS} order by p.id`,
              nest: {
                categories: {
                  sql: `select pc.product_id as parent, c.id from ${PRODUCT_CATEGORIES} order by c.id`,
                },
              },
            },
          },
        },
        categories_by_name: {
          one: true,
          sql:
            'select c.id, (select count(*) from product_categories pc where pc.category_id = c.id) as "products_aggregation._rows_count" ' +
            "from categories c where c.name = 'Books'",
        },
        product_categories: {
          sql:
            'select pc.product_id, pc.category_id, p.title as "product.title", c.name as "category.name" ' +
            "from product_categories pc join products p on p.id = pc.product_id join categories c on c.id = pc.category_id " +
            "where c.name in ('Games', 'Tools') order by pc.category_id, pc.product_id",
        },
      },
    );
  });

  it("filters by a many-to-many relation: any_of, all_of, none_of, nested and combined", async () => {
    const linked = (join: string, on: string, where: string) =>
      `exists (select 1 from ${join} where ${on} and ${where})`;
    const category = (where: string) => linked(PRODUCT_CATEGORIES, "pc.product_id = p.id", where);
    const tag = (where: string) => linked(PRODUCT_TAGS, "pt.product_id = p.id", where);
    const product = (where: string) => linked(CATEGORY_PRODUCTS, "pc.category_id = c.id", where);
    await expectFilters(engine, "products p", [
      [`{categories: {any_of: {name: {eq: "Books"}}}}`, category("c.name = 'Books'")],
      [
        `{categories: {all_of: {name: {in: ["Books", "Games"]}}}}`,
        `not ${category("c.name not in ('Books', 'Games')")}`,
      ],
      [`{categories: {none_of: {name: {eq: "Garden"}}}}`, `not ${category("c.name = 'Garden'")}`],
      [
        `{tags: {any_of: {name: {eq: "eco"}}}, categories: {any_of: {id: {gte: 3}}}}`,
        `${tag("t.name = 'eco'")} and ${category("c.id >= 3")}`,
      ],
      [
        `{_or: [{tags: {none_of: {}}}, {tags: {all_of: {name: {eq: "sale"}}}}]}`,
        `not ${tag("t.name <> 'sale'")}`,
      ],
      [
        `{categories: {any_of: {products: {any_of: {stock: {is_null: true}}}}}}`,
        category(
          "exists (select 1 from product_categories pc2 join products p2 on p2.id = pc2.product_id " +
            "where pc2.category_id = c.id and p2.stock is null)",
        ),
      ],
    ]);
    await expectFilters(engine, "categories c", [
      [`{products: {any_of: {price: {gt: 20}}}}`, product("p.price > 20")],
      [`{products: {all_of: {stock: {is_null: false}}}}`, `not ${product("p.stock is null")}`],
      [
        `{products: {none_of: {tags: {any_of: {name: {eq: "sale"}}}}}}`,
        `not ${product("exists (select 1 from product_tags pt where pt.product_id = p.id and pt.tag = 'sale')")}`,
      ],
    ]);
  });

  it("aggregates over a many-to-many relation per row, with a filter, and filters a root aggregation by one", async () => {
    await expectAnswers(
      `{ categories(order_by: [{field: "id"}]) { id
           products_aggregation { _rows_count price { sum avg min max } stock { count sum } }
           cheap: products_aggregation(filter: {price: {lt: 15}}) { _rows_count }
           top: products_aggregation(order_by: [{field: "price", direction: DESC}], limit: 2) { price { sum } } }
         a: products_aggregation(filter: {categories: {any_of: {name: {in: ["Games", "Tools"]}}}}) { _rows_count price { sum max } } }`,
      {
        categories: {
          sql:
            'select c.id, count(p.id) as "products_aggregation._rows_count", sum(p.price) as "products_aggregation.price.sum", ' +
            'avg(p.price) as "products_aggregation.price.avg", min(p.price) as "products_aggregation.price.min", ' +
            'max(p.price) as "products_aggregation.price.max", count(p.stock) as "products_aggregation.stock.count", ' +
            'sum(p.stock) as "products_aggregation.stock.sum", count(case when p.price < 15 then 1 end) as "cheap._rows_count", ' +
            "(select sum(price) from (select p2.price from product_categories pc2 join products p2 on p2.id = pc2.product_id " +
            'where pc2.category_id = c.id order by p2.price desc limit 2) x) as "top.price.sum" ' +
            "from categories c left join product_categories pc on pc.category_id = c.id " +
            "left join products p on p.id = pc.product_id group by c.id order by c.id",
        },
        a: {
          one: true,
          sql:
            'select count(*) as "_rows_count", sum(p.price) as "price.sum", max(p.price) as "price.max" from products p ' +
            `where exists (select 1 from ${PRODUCT_CATEGORIES} where pc.product_id = p.id and c.name in ('Games', 'Tools'))`,
        },
      },
    );
  });
});

describe("nested inserts through a many-to-many relation (PostgreSQL)", () => {
  beforeAll(async () => {
    await operation("load_data_source", "m2m_pg");
  });

  afterAll(async () => {
    await operation("unload_data_source", "m2m_pg");
  });

  it("inserts each related row and then its link row, from either side, and answers with the links", async () => {
    const got = await data<{ insert_products: Row; insert_tags: Row }>(
      `mutation {
         insert_products(data: {id: 100, title: "Kit", price: 9.5,
           categories: [{id: 100, name: "Kits"}, {id: 101, name: "Bundles"}], tags: [{name: "bundle"}]}) {
           id title categories(order_by: [{field: "id"}]) { id name } tags { name } }
         insert_tags(data: {name: "handmade", products: [{id: 101, title: "Mug", price: 12}]}) {
           name products { id title categories { id } } } }`,
    );
    expect(got).toEqual({
      insert_products: {
        id: 100,
        title: "Kit",
        categories: [
          { id: 100, name: "Kits" },
          { id: 101, name: "Bundles" },
        ],
        tags: [{ name: "bundle" }],
      },
      insert_tags: { name: "handmade", products: [{ id: 101, title: "Mug", categories: [] }] },
    });
    expect(await links()).toEqual({
      categories: [
        { product_id: 100, category_id: 100 },
        { product_id: 100, category_id: 101 },
      ],
      tags: [
        { product_id: 100, tag: "bundle" },
        { product_id: 101, tag: "handmade" },
      ],
    });
  });

  it("inserts nothing when a related row fails: the link rows and the rows before it are rolled back", async () => {
    const before = await links();
    const { body } = await node.gql(
      `mutation { insert_products(data: {id: 102, title: "Dup", price: 1,
         categories: [{id: 102, name: "Fine"}, {id: 1, name: "Books again"}]}) { id } }`,
    );
    expect(body.errors, JSON.stringify(body)).toMatchObject([
      { message: expect.stringMatching(/categories_pkey/), extensions: { code: "DATA_SOURCE_QUERY_FAILED" } },
    ]);
    expect(await links()).toEqual(before);
    const [counts] = await db.unsafe(
      "select (select count(*) from products where id = 102)::int as products, " +
        "(select count(*) from categories where id = 102)::int as categories",
    );
    expect({ ...counts }).toEqual({ products: 0, categories: 0 });
  });

  /** The link rows of the products the inserts above add (ids of 100 and more). */
  async function links(): Promise<{ categories: Row[]; tags: Row[] }> {
    const categories = await db.unsafe(
      "select product_id, category_id from product_categories where product_id >= 100 order by product_id, category_id",
    );
    const tags = await db.unsafe(
      "select product_id, tag from product_tags where product_id >= 100 order by product_id, tag",
    );
    return { categories: categories.map((row) => ({ ...row })), tags: tags.map((row) => ({ ...row })) };
  }
});

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * A field's expected answer: the rows of `sql` (its first row or null with `one`). A column named
 * with dots ("price.sum") is a nested object's key; `nest` adds, under each key, the rows of another
 * question whose `parent` column equals this row's `id`, in that question's order.
 */
interface Expected {
  sql: string;
  one?: true;
  nest?: Record<string, Expected>;
}

async function answer(engine: Engine, expected: Expected): Promise<Row[]> {
  const rows = (await engine.rows(expected.sql)).map(unflatten);
  for (const [field, question] of Object.entries(expected.nest ?? {})) {
    const children = await answer(engine, question);
    for (const row of rows) {
      row[field] = children
        .filter((child) => child["parent"] === row["id"])
        .map(({ parent: _parent, ...rest }) => rest);
    }
  }
  return rows;
}

/** `{"price.sum": 3}` → `{price: {sum: 3}}`. */
function unflatten(row: Row): Row {
  const result: Row = {};
  for (const [key, value] of Object.entries(row)) {
    const path = key.split(".");
    const last = path.pop() ?? key;
    let at = result;
    for (const part of path) at = (at[part] ??= {}) as Row;
    at[last] = value;
  }
  return result;
}

/** [GraphQL filter literal, the same condition in SQL over the aliased table]. */
type FilterCase = readonly [filter: string, where: string];

/**
 * Runs each filter as an aliased field of one request and compares the ids it returns with the rows
 * the database finds for the same condition. `from` is the root table and its alias ("products p").
 */
async function expectFilters(engine: Engine, from: string, cases: readonly FilterCase[]): Promise<void> {
  const [table, alias] = from.split(" ");
  const expected: Record<string, unknown> = {};
  for (const [filter, where] of cases) {
    const rows = await engine.rows(`select ${alias}.id from ${from} where ${where} order by ${alias}.id`);
    expect(rows.length, `no ${table} row has ${where}: the case tests nothing`).toBeGreaterThan(0);
    expected[filter] = rows;
  }
  const fields = cases.map(
    ([filter], i) => `c${i}: ${table}(filter: ${filter}, order_by: [{field: "id"}]) { id }`,
  );
  const got = await data<Record<string, Row[]>>(`{ ${fields.join("\n")} }`);
  expect(Object.fromEntries(cases.map(([filter], i) => [filter, got[`c${i}`]]))).toEqual(expected);
}

async function data<T = Row>(query: string, variables?: Record<string, unknown>): Promise<T> {
  return expectData<T>(await node.gql(query, variables));
}

/** insert_data_sources with the catalog above (loaded later, by each describe). */
async function register(source: { name: string; type: string; path: string }): Promise<void> {
  await data(
    `mutation($data: data_sources_mut_input_data!) { core { insert_data_sources(data: $data) { name } } }`,
    {
      data: {
        ...source,
        prefix: "",
        as_module: false,
        read_only: false,
        self_defined: false,
        catalogs: [{ name: source.name, type: "text", path: CATALOG }],
      },
    },
  );
}

async function operation(name: "load_data_source" | "unload_data_source", source: string): Promise<void> {
  const got = await data<{ function: { core: Record<string, { success: boolean; message: string }> } }>(
    `mutation { function { core { ${name}(name: "${source}") { success message } } } }`,
  );
  const result = got.function.core[name];
  expect(result?.success, `${name}(${source}): ${result?.message}`).toBe(true);
}
