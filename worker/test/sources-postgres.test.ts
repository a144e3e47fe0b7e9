import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingClient } from "./harness/graphql-data.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import {
  CUSTOMER_TOTALS_SQL,
  SHOP_CATALOG,
  SHOP_TABLES,
  createShopDatabase,
  createShopOwner,
} from "./harness/shop-db.js";
import { aggregationQuery, expectClose, normaliser, sqlComparison, type Row } from "./harness/sql-compare.js";
import { startInProcessWorker, type GraphQLResponse, type InProcessWorker } from "./harness/worker.js";

/**
 * A PostgreSQL data source, end to end: the shop database (harness/shop-db.ts) registered with
 * insert_data_sources and loaded with load_data_source becomes GraphQL on the node. Every answer is
 * compared with the same question asked in SQL through our own connection, never with rows written
 * into the test. The node connects as a role with a password, which no response may ever contain.
 */
const PASSWORD = "s3cret-pw";
const ROLE = "shop_app";

let pg: PostgresInstance;
let node: InProcessWorker;
/** Superuser connection to the shop database: the test's view of the truth. */
let db: postgres.Sql;
/** The DSN the node gets: role and password. */
let sourceUrl: string;
let serverLog: string;
/** Every response body of the node, checked for the password at the end. */
const bodies: string[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  const adminUrl = await createShopDatabase(pg, "shop");
  db = postgres(adminUrl, { max: 2, onnotice: () => {} });
  await createShopOwner(db, ROLE, PASSWORD);
  // Every statement the node runs as this role goes to the server log: see statementsSince().
  await db.unsafe(`alter role ${ROLE} set log_statement = 'all'`);
  sourceUrl = `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/shop`;
  serverLog = join(pg.dataDir, "postgres.log");
  node = await startInProcessWorker({ CORE_DB_PATH: pg.url });
});

afterAll(async () => {
  await node?.close();
  await db?.end({ timeout: 5 });
  await pg?.stop();
});

const CUSTOMER_FIELDS = "id name email city vip tags scores profile birth_date created_at";
const CUSTOMER_COLUMNS =
  "id, full_name as name, email, city, vip, tags, scores, profile, birth_date, created_at";
const ORDER_FIELDS = "id customer_id status total discount note ordered_at shipped_on";
const ORDER_COLUMNS = "id, customer_id, status, total, discount, note, ordered_at, shipped_on";
const PRODUCT_FIELDS = "id sku title price category_id attributes sizes views";
const PRODUCT_COLUMNS = "id, sku, title, price, category_id, attributes, sizes, views";
const TS = "2024-06-01T10:20:30.456Z";

describe("a PostgreSQL data source with a catalog (as_module false, no prefix)", () => {
  describe("registration", () => {
    it("registers the source with a password DSN, shows the DSN masked and loads it", async () => {
      const source = await registerSource("shop");
      expect(source).toMatchObject({ name: "shop", type: "postgres", prefix: "", as_module: false });
      expect(source.path).toBe(sourceUrl.replace(PASSWORD, "***"));
      const listed = await data<{ core: { data_sources: Row[] } }>(
        `{ core { data_sources(filter: {name: {eq: "shop"}}) { name path catalogs { name type } } } }`,
      );
      expect(listed.core.data_sources).toEqual([
        {
          name: "shop",
          path: sourceUrl.replace(PASSWORD, "***"),
          catalogs: [{ name: "shop", type: "text" }],
        },
      ]);
      expect(node.worker.dataSources.attached()).toContain("shop");
    });
  });

  describe("columns", () => {
    it("returns text, booleans, dates, timestamps, JSON, arrays and NULLs intact", async () => {
      const got = await expectQuery(`{ customers(order_by: [{field: "id"}]) { ${CUSTOMER_FIELDS} } }`, {
        customers: `select ${CUSTOMER_COLUMNS} from customers order by id`,
      });
      const customers = got.customers as Row[];
      for (const customer of customers) {
        if (customer.birth_date !== null) expect(customer.birth_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(Number.isNaN(Date.parse(String(customer.created_at)))).toBe(false);
      }
      expect(customers.find((c) => c.id === 11)?.scores).toEqual([7, null]);
      expect(customers.find((c) => c.id === 1)?.profile).toMatchObject({ nickname: null });
    });

    it("returns numeric(12,2) as Float, bigint as BigInt, nested JSON and int[] intact", async () => {
      await expectQuery(`{ products(order_by: [{field: "id"}]) { ${PRODUCT_FIELDS} } }`, {
        products: `select ${PRODUCT_COLUMNS} from products order by id`,
      });
    });

    it("keeps NULL and the empty string apart and quotes in text", async () => {
      const got = await expectQuery(`{ orders(order_by: [{field: "id"}]) { ${ORDER_FIELDS} } }`, {
        orders: `select ${ORDER_COLUMNS} from orders order by id`,
      });
      const notes = (got.orders as Row[]).map((o) => o.note);
      expect(notes).toContain("");
      expect(notes).toContain(null);
      expect(notes).toContain(`call "before" delivery`);
    });

    it("maps a renamed column (@field_source) in selection, filter, order and aggregation", async () => {
      await expectQuery(
        `{ customers(filter: {name: {like: "%a%"}}, order_by: [{field: "name", direction: DESC}]) { id name }
           customers_aggregation { name { min max } } }`,
        {
          customers:
            "select id, full_name as name from customers where full_name like '%a%' order by full_name desc",
          customers_aggregation: {
            one: "select jsonb_build_object('min', min(full_name), 'max', max(full_name)) as name from customers",
          },
        },
      );
    });
  });

  describe("filters", () => {
    it("Int and BigInt: eq, in, gt, gte, lt, lte, is_null", async () => {
      await expectFilters("orders", [
        ["{id: {eq: 7}}", "id = 7"],
        ["{id: {in: [3, 5, 60, 999]}}", "id in (3, 5, 60, 999)"],
        ["{id: {gt: 55}}", "id > 55"],
        ["{id: {gte: 55}}", "id >= 55"],
        ["{id: {lt: 4}}", "id < 4"],
        ["{id: {lte: 4}}", "id <= 4"],
        ["{id: {gte: 10, lt: 15}}", "id >= 10 and id < 15"],
        ["{customer_id: {in: [1, 18]}}", "customer_id in (1, 18)"],
      ]);
      await expectFilters("products", [
        ["{views: {gt: 3500000000}}", "views > 3500000000"],
        ["{views: {eq: 3123456789}}", "views = 3123456789"],
        ["{views: {in: [3246913578, 1]}}", "views in (3246913578, 1)"],
        ["{views: {lte: 3370370367}}", "views <= 3370370367"],
        ["{category_id: {is_null: true}}", "category_id is null"],
        ["{category_id: {is_null: false}}", "category_id is not null"],
      ]);
    });

    it("Float over numeric(12,2): eq, in, gt, gte, lt, lte, is_null", async () => {
      await expectFilters("orders", [
        ["{total: {gt: 300.5}}", "total > 300.5"],
        ["{total: {lte: 137.94}}", "total <= 137.94"],
        ["{total: {eq: 383.68}}", "total = 383.68"],
        ["{total: {in: [137.94, 383.68, 0.01]}}", "total in (137.94, 383.68, 0.01)"],
        ["{discount: {eq: 2.5}}", "discount = 2.5"],
        ["{discount: {gte: 5, lt: 10}}", "discount >= 5 and discount < 10"],
        ["{discount: {is_null: true}}", "discount is null"],
        ["{discount: {is_null: false}}", "discount is not null"],
      ]);
      await expectFilters("products", [["{price: {lt: 20}}", "price < 20"]]);
    });

    it("String: eq, in, like, ilike, regex, is_null (quotes, unicode and the empty string)", async () => {
      await expectFilters("customers", [
        [`{name: {eq: "Farah O'Brien"}}`, "full_name = 'Farah O''Brien'"],
        [
          `{name: {in: ["Ada Lovelace", "Bjørn O'Brien", "Nobody"]}}`,
          "full_name in ('Ada Lovelace', 'Bjørn O''Brien', 'Nobody')",
        ],
        [`{name: {like: "%Smith"}}`, "full_name like '%Smith'"],
        [`{name: {like: "Bj_rn%"}}`, "full_name like 'Bj_rn%'"],
        [`{email: {ilike: "USER1%"}}`, "email ilike 'USER1%'"],
        [`{name: {regex: "^[A-C]"}}`, "full_name ~ '^[A-C]'"],
        [`{email: {regex: "^User[0-9]+@"}}`, "email ~ '^User[0-9]+@'"],
        ["{city: {is_null: true}}", "city is null"],
        ["{city: {is_null: false}}", "city is not null"],
      ]);
      await expectFilters("orders", [
        [`{note: {eq: ""}}`, "note = ''"],
        [`{note: {eq: "it's a gift"}}`, "note = 'it''s a gift'"],
        [`{note: {like: "%\\"before\\"%"}}`, `note like '%"before"%'`],
        [`{status: {in: ["paid", "shipped"]}}`, "status in ('paid', 'shipped')"],
        ["{note: {is_null: true}}", "note is null"],
      ]);
    });

    it("Boolean: eq, is_null", async () => {
      await expectFilters("customers", [
        ["{vip: {eq: true}}", "vip"],
        ["{vip: {eq: false}}", "not vip"],
        ["{vip: {is_null: false}}", "vip is not null"],
      ]);
    });

    it("Date: eq, in, gt, gte, lt, lte, is_null", async () => {
      await expectFilters("customers", [
        [`{birth_date: {eq: "1971-02-05"}}`, "birth_date = '1971-02-05'"],
        [`{birth_date: {in: ["1971-02-05", "2000-01-01"]}}`, "birth_date in ('1971-02-05', '2000-01-01')"],
        [`{birth_date: {gt: "1980-01-01"}}`, "birth_date > '1980-01-01'"],
        [
          `{birth_date: {gte: "1971-02-05", lte: "1975-01-01"}}`,
          "birth_date >= '1971-02-05' and birth_date <= '1975-01-01'",
        ],
        [`{birth_date: {lt: "1973-01-01"}}`, "birth_date < '1973-01-01'"],
        ["{birth_date: {is_null: true}}", "birth_date is null"],
      ]);
      await expectFilters("orders", [
        [`{shipped_on: {gte: "2024-02-01"}}`, "shipped_on >= '2024-02-01'"],
        ["{shipped_on: {is_null: false}}", "shipped_on is not null"],
      ]);
    });

    it("Timestamp: eq, in, gt, gte, lt, lte with milliseconds and time zone offsets", async () => {
      await expectFilters("orders", [
        [`{ordered_at: {gt: "2024-02-01T00:00:00Z"}}`, "ordered_at > '2024-02-01T00:00:00Z'"],
        [`{ordered_at: {lte: "2024-01-02T13:11:07.250Z"}}`, "ordered_at <= '2024-01-02T13:11:07.250Z'"],
        [`{ordered_at: {eq: "2024-01-03T18:22:14.5Z"}}`, "ordered_at = '2024-01-03T18:22:14.5Z'"],
        [
          `{ordered_at: {in: ["2024-01-02T13:11:07.25Z", "2024-01-04T23:33:21.75Z"]}}`,
          "ordered_at in ('2024-01-02T13:11:07.25Z', '2024-01-04T23:33:21.75Z')",
        ],
        [
          `{ordered_at: {gte: "2024-01-10T00:00:00+02:00", lt: "2024-01-20T00:00:00+02:00"}}`,
          "ordered_at >= '2024-01-10T00:00:00+02:00' and ordered_at < '2024-01-20T00:00:00+02:00'",
        ],
      ]);
      await expectFilters("customers", [
        [`{created_at: {lt: "2023-01-05T12:00:00+02:00"}}`, "created_at < '2023-01-05T12:00:00+02:00'"],
      ]);
    });

    it("JSON: eq, has, has_all, contains, is_null (literals and variables)", async () => {
      const [first] = await db`select profile from customers where id = 1`;
      await expectFilters(
        "customers",
        [
          [`{profile: {has: "age"}}`, "profile ? 'age'"],
          [`{profile: {has: "nickname"}}`, "profile ? 'nickname'"],
          [`{profile: {has_all: ["age", "prefs"]}}`, "profile ?& array['age', 'prefs']"],
          [`{profile: {contains: {prefs: {lang: "en"}}}}`, `profile @> '{"prefs": {"lang": "en"}}'`],
          [`{profile: {contains: {langs: ["fr"]}}}`, `profile @> '{"langs": ["fr"]}'`],
          ["{profile: {is_null: true}}", "profile is null"],
          ["{profile: {eq: $first}}", "profile = (select profile from customers where id = 1)"],
        ],
        { variables: { first: { type: "JSON", value: first!.profile } } },
      );
      await expectFilters("products", [
        [
          `{attributes: {contains: {origin: {country: "NO"}, fragile: false}}}`,
          `attributes @> '{"origin": {"country": "NO"}, "fragile": false}'`,
        ],
        [`{attributes: {has: "fragile"}}`, "attributes ? 'fragile'"],
      ]);
    });

    it("arrays: eq, contains, intersects, is_null on text[] and int[]", async () => {
      await expectFilters("customers", [
        [`{tags: {eq: ["vip", "newsletter"]}}`, "tags = array['vip', 'newsletter']"],
        ["{tags: {eq: []}}", "tags = '{}'"],
        [`{tags: {contains: ["newsletter"]}}`, "tags @> array['newsletter']"],
        [`{tags: {intersects: ["new", "vip"]}}`, "tags && array['new', 'vip']"],
        ["{scores: {contains: [7]}}", "scores @> array[7]"],
        ["{scores: {intersects: [1, 2]}}", "scores && array[1, 2]"],
        ["{scores: {eq: [1, 3]}}", "scores = array[1, 3]"],
        ["{scores: {is_null: true}}", "scores is null"],
      ]);
      await expectFilters("products", [
        ["{sizes: {eq: [1, 11]}}", "sizes = array[1, 11]"],
        ["{sizes: {eq: []}}", "sizes = '{}'"],
        ["{sizes: {contains: [14]}}", "sizes @> array[14]"],
        ["{sizes: {is_null: true}}", "sizes is null"],
      ]);
    });

    it("nests _and, _or and _not; several fields in one object are ANDed", async () => {
      await expectFilters("customers", [
        [`{_and: [{vip: {eq: true}}, {city: {eq: "Oslo"}}]}`, "vip and city = 'Oslo'"],
        [
          `{_or: [{city: {eq: "Lyon"}}, {_and: [{vip: {eq: true}}, {_not: {city: {is_null: true}}}]}]}`,
          "city = 'Lyon' or (vip and not (city is null))",
        ],
        [
          `{_not: {_or: [{city: {eq: "Oslo"}}, {city: {is_null: true}}]}}`,
          "not (city = 'Oslo' or city is null)",
        ],
        [
          `{_and: [{_or: [{id: {lt: 5}}, {id: {gt: 15}}]}, {_not: {vip: {eq: true}}}]}`,
          "(id < 5 or id > 15) and not vip",
        ],
        [`{vip: {eq: false}, city: {in: ["Oslo", "Berlin"]}}`, "not vip and city in ('Oslo', 'Berlin')"],
      ]);
    });

    it("filters through many-to-one relations, two hops deep and over the composite key", async () => {
      await expectFilters("orders", [
        [
          `{customer: {city: {eq: "Oslo"}}}`,
          "exists (select 1 from customers c where c.id = orders.customer_id and c.city = 'Oslo')",
        ],
        [
          `{customer: {vip: {eq: true}, name: {like: "%a%"}}}`,
          "exists (select 1 from customers c where c.id = orders.customer_id and c.vip and c.full_name like '%a%')",
        ],
        [
          `{_not: {customer: {city: {eq: "Oslo"}}}}`,
          "not exists (select 1 from customers c where c.id = orders.customer_id and c.city = 'Oslo')",
        ],
      ]);
      await expectFilters(
        "order_items",
        [
          [
            "{order: {customer: {vip: {eq: true}}}}",
            "exists (select 1 from orders o join customers c on c.id = o.customer_id " +
              "where o.id = order_items.order_id and c.vip)",
          ],
          [
            `{product: {category: {name: {eq: "Books"}}}}`,
            "exists (select 1 from products p join categories c on c.id = p.category_id " +
              "where p.id = order_items.product_id and c.name = 'Books')",
          ],
        ],
        { key: ["order_id", "product_id"] },
      );
      await expectFilters("item_returns", [
        [
          "{item: {product: {price: {gt: 30}}}}",
          "exists (select 1 from order_items i join products p on p.id = i.product_id " +
            "where i.order_id = item_returns.order_id and i.product_id = item_returns.product_id and p.price > 30)",
        ],
      ]);
    });

    it("filters through a nullable many-to-one: a row without a parent never matches its filter", async () => {
      await expectFilters("products", [
        [
          `{category: {name: {in: ["Books", "Games"]}}}`,
          "exists (select 1 from categories c where c.id = products.category_id and c.name in ('Books', 'Games'))",
        ],
        [
          `{_not: {category: {name: {eq: "Books"}}}}`,
          "not exists (select 1 from categories c where c.id = products.category_id and c.name = 'Books')",
        ],
      ]);
    });

    it("filters through one-to-many relations with any_of, all_of and none_of", async () => {
      const ofCustomer = "from orders o where o.customer_id = customers.id";
      await expectFilters("customers", [
        ["{orders: {any_of: {total: {gt: 500}}}}", `exists (select 1 ${ofCustomer} and o.total > 500)`],
        // all_of holds for a customer without orders, as "no order fails the condition"
        [
          "{orders: {all_of: {total: {gt: 200}}}}",
          `not exists (select 1 ${ofCustomer} and not (o.total > 200))`,
        ],
        [
          `{orders: {none_of: {status: {eq: "cancelled"}}}}`,
          `not exists (select 1 ${ofCustomer} and o.status = 'cancelled')`,
        ],
        [
          `{orders: {any_of: {items: {any_of: {product: {category: {name: {eq: "Garden"}}}}}}}}`,
          `exists (select 1 ${ofCustomer} and exists (select 1 from order_items i ` +
            "join products p on p.id = i.product_id join categories c on c.id = p.category_id " +
            "where i.order_id = o.id and c.name = 'Garden'))",
        ],
        [
          `{_and: [{vip: {eq: true}}, {orders: {any_of: {status: {eq: "new"}}}}]}`,
          `vip and exists (select 1 ${ofCustomer} and o.status = 'new')`,
        ],
      ]);
      await expectFilters("products", [
        [
          "{order_items: {any_of: {quantity: {gte: 5}}}}",
          "exists (select 1 from order_items i where i.product_id = products.id and i.quantity >= 5)",
        ],
      ]);
      await expectFilters("categories", [
        [
          "{products: {none_of: {price: {lt: 1000}}}}",
          "not exists (select 1 from products p where p.category_id = categories.id and p.price < 1000)",
        ],
      ]);
    });

    it("filters through the composite one-to-many relation (@references)", async () => {
      await expectFilters(
        "order_items",
        [
          [
            `{returns: {any_of: {reason: {eq: "damaged"}}}}`,
            "exists (select 1 from item_returns r where r.order_id = order_items.order_id " +
              "and r.product_id = order_items.product_id and r.reason = 'damaged')",
          ],
        ],
        { key: ["order_id", "product_id"] },
      );
    });
  });

  describe("ordering and paging", () => {
    it("orders by several fields and directions", async () => {
      await expectQuery(
        `{ orders(order_by: [{field: "status"}, {field: "total", direction: DESC}, {field: "id"}]) { id status total }
           customers(order_by: [{field: "city", direction: DESC, nulls: LAST}, {field: "vip"}, {field: "id", direction: DESC}]) { id city vip } }`,
        {
          orders: "select id, status, total from orders order by status, total desc, id",
          customers: "select id, city, vip from customers order by city desc nulls last, vip, id desc",
        },
      );
    });

    it("puts NULLs FIRST or LAST in both directions", async () => {
      const order = (dir: string, nulls: string): string =>
        `customers(order_by: [{field: "city", direction: ${dir}, nulls: ${nulls}}, {field: "id"}]) { id city }`;
      await expectQuery(
        `{ a: ${order("ASC", "FIRST")} b: ${order("ASC", "LAST")} c: ${order("DESC", "FIRST")} d: ${order("DESC", "LAST")} }`,
        {
          a: "select id, city from customers order by city asc nulls first, id",
          b: "select id, city from customers order by city asc nulls last, id",
          c: "select id, city from customers order by city desc nulls first, id",
          d: "select id, city from customers order by city desc nulls last, id",
        },
      );
    });

    it("orders by a field of a many-to-one relation (dotted path), NULL parents included", async () => {
      await expectQuery(
        `{ orders(order_by: [{field: "customer.name"}, {field: "id"}]) { id customer_id }
           products(order_by: [{field: "category.name", direction: DESC, nulls: LAST}, {field: "id"}]) { id category_id } }`,
        {
          orders:
            "select o.id, o.customer_id from orders o join customers c on c.id = o.customer_id order by c.full_name, o.id",
          products:
            "select p.id, p.category_id from products p left join categories c on c.id = p.category_id " +
            "order by c.name desc nulls last, p.id",
        },
      );
    });

    it("pages with limit and offset", async () => {
      await expectQuery(
        `{ a: orders(order_by: [{field: "id"}], limit: 7, offset: 10) { id }
           b: orders(filter: {status: {eq: "paid"}}, order_by: [{field: "total", direction: DESC}, {field: "id"}], limit: 5, offset: 2) { id total }
           c: orders(order_by: [{field: "id"}], offset: 1000) { id }
           d: customers(order_by: [{field: "id", direction: DESC}], limit: 3) { id } }`,
        {
          a: "select id from orders order by id limit 7 offset 10",
          b: "select id, total from orders where status = 'paid' order by total desc, id limit 5 offset 2",
          c: "select id from orders order by id offset 1000",
          d: "select id from customers order by id desc limit 3",
        },
      );
    });

    it("distinct_on keeps the first row of each group in order_by order", async () => {
      await expectQuery(
        `{ a: orders(distinct_on: ["customer_id"], order_by: [{field: "customer_id"}, {field: "ordered_at", direction: DESC}]) { id customer_id ordered_at }
           b: orders(distinct_on: ["status"], order_by: [{field: "status"}, {field: "total", direction: DESC}]) { status total } }`,
        {
          a: "select distinct on (customer_id) id, customer_id, ordered_at from orders order by customer_id, ordered_at desc",
          b: "select distinct on (status) status, total from orders order by status, total desc",
        },
      );
    });
  });

  describe("single rows", () => {
    it("by_pk returns the row with its relations, or null for a missing key", async () => {
      await expectQuery(
        `{ a: customers_by_pk(id: 2) { ${CUSTOMER_FIELDS} orders(order_by: [{field: "id"}]) { id total } }
           b: customers_by_pk(id: 99999) { id } }`,
        {
          a: {
            one:
              `select ${CUSTOMER_COLUMNS}, (select coalesce(jsonb_agg(o order by o.id), '[]') ` +
              "from (select id, total from orders where customer_id = 2) o) as orders from customers where id = 2",
          },
          b: { one: "select id from customers where id = 99999" },
        },
      );
    });

    it("by_pk with a composite key", async () => {
      const [item] =
        await db`select order_id, product_id from order_items where order_id = 7 order by product_id desc limit 1`;
      await expectQuery(
        `{ a: order_items_by_pk(order_id: ${item!.order_id}, product_id: ${item!.product_id}) { order_id product_id quantity unit_price }
           b: order_items_by_pk(order_id: 7, product_id: 999) { order_id } }`,
        {
          a: {
            one:
              "select order_id, product_id, quantity, unit_price from order_items " +
              `where order_id = ${item!.order_id} and product_id = ${item!.product_id}`,
          },
          b: { one: "select order_id from order_items where order_id = 7 and product_id = 999" },
        },
      );
    });

    it("by unique fields: customers_by_email, products_by_sku, categories_by_name", async () => {
      await expectQuery(
        `{ a: customers_by_email(email: "User12@example.com") { id name email }
           b: customers_by_email(email: "user12@example.com") { id }
           c: products_by_sku(sku: "SKU-007") { id title price }
           d: categories_by_name(name: "Garden") { id name } }`,
        {
          a: { one: "select id, full_name as name, email from customers where email = 'User12@example.com'" },
          b: { one: "select id from customers where email = 'user12@example.com'" },
          c: { one: "select id, title, price from products where sku = 'SKU-007'" },
          d: { one: "select id, name from categories where name = 'Garden'" },
        },
      );
    });
  });

  describe("aggregations", () => {
    it("_rows_count with and without a filter", async () => {
      await expectAggregation("orders", "", "orders", {});
      await expectAggregation("orders", `filter: {status: {eq: "paid"}}`, "orders where status = 'paid'", {});
      await expectAggregation(
        "customers",
        "filter: {city: {is_null: true}}",
        "customers where city is null",
        {},
      );
    });

    it("count, sum, avg, min, max of Int, BigInt and Float fields, NULLs ignored", async () => {
      const numeric = ["count", "sum", "avg", "min", "max"];
      await expectAggregation("orders", "", "orders", { id: numeric, total: numeric, discount: numeric });
      await expectAggregation(
        "orders",
        "filter: {customer: {vip: {eq: true}}}",
        "orders where exists (select 1 from customers c where c.id = orders.customer_id and c.vip)",
        { total: numeric, discount: ["count", "sum"] },
      );
      await expectAggregation("products", "", "products", { views: numeric, price: numeric });
    });

    it("count, min, max of String, Date and Timestamp; bool_and, bool_or of Boolean", async () => {
      const spec = {
        name: ["count", "min", "max"],
        city: ["count", "min", "max"],
        birth_date: ["count", "min", "max"],
        created_at: ["count", "min", "max"],
        vip: ["count", "bool_and", "bool_or"],
      };
      await expectAggregation("customers", "", "customers", spec, { name: "full_name" });
      await expectAggregation("customers", "filter: {vip: {eq: true}}", "customers where vip", spec, {
        name: "full_name",
      });
    });
  });

  describe("relations", () => {
    it("one-to-many with its own filter, order_by, limit and offset (aliased twice)", async () => {
      await expectQuery(
        `{ customers(order_by: [{field: "id"}]) { id
             orders(filter: {status: {in: ["paid", "shipped"]}}, order_by: [{field: "total", direction: DESC}, {field: "id"}], limit: 2) { id status total }
             later: orders(order_by: [{field: "id"}], limit: 2, offset: 1) { id } } }`,
        {
          customers:
            "select c.id, " +
            "(select coalesce(jsonb_agg(o order by o.total desc, o.id), '[]') from (select id, status, total from orders " +
            "where customer_id = c.id and status in ('paid', 'shipped') order by total desc, id limit 2) o) as orders, " +
            "(select coalesce(jsonb_agg(o order by o.id), '[]') from (select id from orders " +
            "where customer_id = c.id order by id limit 2 offset 1) o) as later " +
            "from customers c order by c.id",
        },
      );
    });

    it("many-to-one is null where the key is NULL; one-to-many is [] without children", async () => {
      await expectQuery(
        `{ products(order_by: [{field: "id"}]) { id category_id category { id name } }
           categories(order_by: [{field: "id"}]) { id products(order_by: [{field: "id"}]) { id title } } }`,
        {
          products:
            "select p.id, p.category_id, (select to_jsonb(c) from (select id, name from categories " +
            "where id = p.category_id) c) as category from products p order by p.id",
          categories:
            "select c.id, (select coalesce(jsonb_agg(p order by p.id), '[]') from (select id, title from products " +
            "where category_id = c.id) p) as products from categories c order by c.id",
        },
      );
    });

    it("nests both ways several levels deep", async () => {
      await expectQuery(
        `{ orders(filter: {id: {lte: 12}}, order_by: [{field: "id"}]) { id
             customer { id name city }
             items(order_by: [{field: "product_id"}]) { product_id quantity
               product { sku category { name } }
               returns(order_by: [{field: "id"}]) { reason } } } }`,
        {
          orders:
            "select o.id, " +
            "(select to_jsonb(c) from (select id, full_name as name, city from customers where id = o.customer_id) c) as customer, " +
            "(select coalesce(jsonb_agg(i order by i.product_id), '[]') from (select oi.product_id, oi.quantity, " +
            "(select to_jsonb(p) from (select pr.sku, (select to_jsonb(cat) from (select name from categories " +
            "where id = pr.category_id) cat) as category from products pr where pr.id = oi.product_id) p) as product, " +
            "(select coalesce(jsonb_agg(jsonb_build_object('reason', r.reason) order by r.id), '[]') from item_returns r " +
            "where r.order_id = oi.order_id and r.product_id = oi.product_id) as returns " +
            "from order_items oi where oi.order_id = o.id) i) as items " +
            "from orders o where o.id <= 12 order by o.id",
        },
      );
    });

    it("follows the composite @references both ways", async () => {
      await expectQuery(
        `{ item_returns(order_by: [{field: "id"}]) { id reason item { order_id product_id quantity unit_price order { id status } } }
           order_items(filter: {order_id: {lte: 30}}, order_by: [{field: "order_id"}, {field: "product_id"}]) {
             order_id product_id returns(order_by: [{field: "id"}]) { id reason } } }`,
        {
          item_returns:
            "select r.id, r.reason, (select to_jsonb(i) from (select oi.order_id, oi.product_id, oi.quantity, oi.unit_price, " +
            "(select to_jsonb(o) from (select id, status from orders where id = oi.order_id) o) as order " +
            "from order_items oi where oi.order_id = r.order_id and oi.product_id = r.product_id) i) as item " +
            "from item_returns r order by r.id",
          order_items:
            "select oi.order_id, oi.product_id, (select coalesce(jsonb_agg(r order by r.id), '[]') from " +
            "(select id, reason from item_returns where order_id = oi.order_id and product_id = oi.product_id) r) as returns " +
            "from order_items oi where oi.order_id <= 30 order by oi.order_id, oi.product_id",
        },
      );
    });

    it("aggregates a one-to-many relation per parent, with and without a filter", async () => {
      const expected = await sqlRows(
        "select c.id, jsonb_build_object('_rows_count', count(o.id), 'total', " +
          "jsonb_build_object('sum', sum(o.total), 'max', max(o.total))) as orders_aggregation, " +
          "(select jsonb_build_object('_rows_count', count(*)) from orders p where p.customer_id = c.id " +
          "and p.status = 'paid') as paid " +
          "from customers c left join orders o on o.customer_id = c.id group by c.id order by c.id",
      );
      const categories = await sqlRows(
        "select c.id, jsonb_build_object('_rows_count', count(p.id), 'price', " +
          "jsonb_build_object('avg', avg(p.price), 'min', min(p.price))) as products_aggregation " +
          "from categories c left join products p on p.category_id = c.id group by c.id order by c.id",
      );
      const got = await data<{ customers: Row[]; categories: Row[] }>(
        `{ customers(order_by: [{field: "id"}]) { id orders_aggregation { _rows_count total { sum max } }
             paid: orders_aggregation(filter: {status: {eq: "paid"}}) { _rows_count } }
           categories(order_by: [{field: "id"}]) { id products_aggregation { _rows_count price { avg min } } } }`,
      );
      expectClose(got.customers, expected);
      expectClose(got.categories, categories);
    });

    it("answers a nested query over 20 parents with one SQL statement", async () => {
      const query = `{ customers(order_by: [{field: "id"}], limit: 20) { id name
          orders(order_by: [{field: "id"}]) { id items(order_by: [{field: "product_id"}]) { product_id product { sku } } } } }`;
      await data(query); // warm-up: connections opened, types fetched
      const from = (await stat(serverLog)).size;
      const got = await data<{ customers: Row[] }>(query);
      const statements = await statementsSince(from);
      expect(
        statements.length,
        "no statement of the node in the server log: is log_statement on?",
      ).toBeGreaterThan(0);
      const onData = statements.filter((s) => /\b(customers|orders|order_items|products)\b/.test(s));
      expect(onData, onData.join("\n----\n")).toHaveLength(1);
      expect(got.customers).toHaveLength(20);
    });
  });

  describe("the @view", () => {
    it("serves the @view(sql:) with filter, order, limit, by_pk and aggregation, and no mutations", async () => {
      const view = `(${CUSTOMER_TOTALS_SQL}) v`;
      await expectQuery(
        `{ a: customer_totals(filter: {orders_count: {gte: 3}}, order_by: [{field: "total_spent", direction: DESC}, {field: "customer_id"}], limit: 10) {
             customer_id name orders_count total_spent last_order_at }
           b: customer_totals(filter: {last_order_at: {is_null: true}}, order_by: [{field: "customer_id"}]) { customer_id name }
           c: customer_totals_by_pk(customer_id: 5) { customer_id name orders_count } }`,
        {
          a:
            `select customer_id, name, orders_count, total_spent, last_order_at from ${view} ` +
            "where orders_count >= 3 order by total_spent desc, customer_id limit 10",
          b: `select customer_id, name from ${view} where last_order_at is null order by customer_id`,
          c: { one: `select customer_id, name, orders_count from ${view} where customer_id = 5` },
        },
      );
      await expectAggregation("customer_totals", "", view, {
        total_spent: ["sum", "max"],
        orders_count: ["sum", "min"],
      });
      const mutations = await rootFields("mutationType");
      expect(mutations.filter((f) => f.includes("customer_totals"))).toEqual([]);
    });
  });

  describe("mutations", () => {
    let nestedCustomerId = 0;

    it("insert returns the new row with its sequence id, and the database has it", async () => {
      const input = {
        name: "Zed Quinn",
        email: "zed@example.com",
        city: null,
        vip: true,
        tags: ["a", "b"],
        scores: [1, 2, 3],
        profile: { a: { b: [1, "x", null] }, n: 1.5, s: "it's" },
        birth_date: "1999-12-31",
        created_at: TS,
      };
      const got = await data<{ insert_customers: Row }>(
        `mutation($d: customers_mut_input_data!) { insert_customers(data: $d) { ${CUSTOMER_FIELDS} } }`,
        { d: input },
      );
      const row = got.insert_customers;
      expect(row.id).toBeGreaterThan(20);
      expect(norm(row)).toEqual(norm({ ...input, id: row.id }));
      expect(norm([row])).toEqual(
        norm(await sqlRows(`select ${CUSTOMER_COLUMNS} from customers where id = ${Number(row.id)}`)),
      );
    });

    it("takes NULL elements in an array input ([Int]) and stores them", async () => {
      const got = await data<{ insert_customers: Row }>(
        `mutation { insert_customers(data: {name: "Nell Nulls", email: "nell@example.com", vip: false,
           tags: ["x"], scores: [1, null, 3], created_at: "${TS}"}) { id scores } }`,
      );
      expect(got.insert_customers.scores).toEqual([1, null, 3]);
      const [stored] = await sqlRows(
        `select scores from customers where id = ${Number(got.insert_customers.id)}`,
      );
      expect(stored).toEqual({ scores: [1, null, 3] });
    });

    it("omitted fields take the database defaults (identity id, now(), false, empty array)", async () => {
      const customer = await data<{ insert_customers: Row }>(
        `mutation { insert_customers(data: {name: "Dora Default", email: "dora@example.com"}) { id vip tags created_at } }`,
      );
      const { id } = customer.insert_customers;
      expect(customer.insert_customers).toMatchObject({ vip: false, tags: [] });
      expect(Math.abs(Date.parse(String(customer.insert_customers.created_at)) - Date.now())).toBeLessThan(
        60_000,
      );
      const order = await data<{ insert_orders: Row }>(
        `mutation { insert_orders(data: {customer_id: ${Number(id)}, status: "new"}) { ${ORDER_FIELDS} } }`,
      );
      expect(order.insert_orders).toMatchObject({ customer_id: id, total: 0, discount: null, note: null });
      expect(order.insert_orders.id).toBeGreaterThan(60);
      expect(norm([order.insert_orders])).toEqual(
        norm(
          await sqlRows(`select ${ORDER_COLUMNS} from orders where id = ${Number(order.insert_orders.id)}`),
        ),
      );
    });

    it("nested insert: a customer with its orders and their items in one call", async () => {
      const input = {
        name: "Ned Nested",
        email: "ned@example.com",
        vip: false,
        tags: [],
        created_at: TS,
        orders: [
          {
            status: "paid",
            total: 23.1,
            ordered_at: "2024-07-02T10:00:00Z",
            items: [
              { product_id: 1, quantity: 2, unit_price: 8.34 },
              { product_id: 5, quantity: 1, unit_price: 6.42 },
            ],
          },
          { status: "new", total: 0, ordered_at: "2024-07-03T10:00:00Z" },
        ],
      };
      const got = await data<{ insert_customers: Row }>(
        `mutation($d: customers_mut_input_data!) { insert_customers(data: $d) { id name
           orders(order_by: [{field: "id"}]) { id customer_id status
             items(order_by: [{field: "product_id"}]) { order_id product_id quantity unit_price } } } }`,
        { d: input },
      );
      nestedCustomerId = Number(got.insert_customers.id);
      const [stored] = await sqlRows(
        "select c.id, c.full_name as name, (select coalesce(jsonb_agg(o order by o.id), '[]') from (select o.id, " +
          "o.customer_id, o.status, (select coalesce(jsonb_agg(i order by i.product_id), '[]') from (select order_id, " +
          "product_id, quantity, unit_price from order_items where order_id = o.id) i) as items " +
          "from orders o where o.customer_id = c.id) o) as orders " +
          `from customers c where c.id = ${nestedCustomerId}`,
      );
      expect(norm(got.insert_customers)).toEqual(norm(stored));
      const orders = stored!.orders as Row[];
      expect(orders.map((o) => o.status)).toEqual(["paid", "new"]);
      expect((orders[0]!.items as Row[]).map((i) => i.product_id)).toEqual([1, 5]);
    });

    it("nested insert of a many-to-one parent", async () => {
      const got = await data<{ insert_orders: Row }>(
        `mutation($d: orders_mut_input_data!) { insert_orders(data: $d) { id customer_id status customer { id name email } } }`,
        {
          d: {
            status: "new",
            total: 5,
            ordered_at: TS,
            customer: { name: "Pam Parent", email: "pam@example.com", vip: false, tags: [], created_at: TS },
          },
        },
      );
      const [stored] = await sqlRows(
        "select o.id, o.customer_id, o.status, (select to_jsonb(c) from (select id, full_name as name, email " +
          `from customers where id = o.customer_id) c) as customer from orders o where o.id = ${Number(got.insert_orders.id)}`,
      );
      expect(norm(got.insert_orders)).toEqual(norm(stored));
      expect(got.insert_orders.customer).toMatchObject({ email: "pam@example.com" });
    });

    it("a failing nested insert leaves nothing behind", async () => {
      const before = await counts();
      const order = (items: Row[]): Row => ({ status: "paid", total: 1, ordered_at: TS, items });
      const attempt = (email: string, badItem: Row): Promise<GraphQLResponse> =>
        gql(`mutation($d: customers_mut_input_data!) { insert_customers(data: $d) { id } }`, {
          d: {
            name: "Bo Broken",
            email,
            vip: false,
            tags: [],
            created_at: TS,
            orders: [order([{ product_id: 1, quantity: 1, unit_price: 1 }]), order([badItem])],
          },
        });
      // a CHECK violation (quantity > 0) and a foreign key violation (no product 999), in the last child
      for (const [email, bad] of [
        ["bo1@example.com", { product_id: 2, quantity: 0, unit_price: 1 }],
        ["bo2@example.com", { product_id: 999, quantity: 1, unit_price: 1 }],
      ] as const) {
        const { body } = await attempt(email, bad);
        expect(body.errors?.length ?? 0, JSON.stringify(body)).toBeGreaterThan(0);
        expect(body.data?.insert_customers ?? null).toBeNull();
      }
      expect(await counts()).toEqual(before);
      expect(await db`select id from customers where email like 'bo_@example.com'`).toHaveLength(0);
    });

    it("update answers hugr's OperationResult and the database has the change", async () => {
      const ids = (await db`select id from orders where customer_id = 3 order by id`).map(
        (r) => r.id as number,
      );
      expect(ids.length).toBeGreaterThan(0);
      const got = await data<{ update_orders: Row }>(
        `mutation { update_orders(filter: {customer_id: {eq: 3}}, data: {note: "updated by test", discount: 9.99}) { success affected_rows message } }`,
      );
      expect(got.update_orders).toMatchObject({ success: true, affected_rows: ids.length });
      const rows = await sqlRows("select id, note, discount from orders where customer_id = 3 order by id");
      expect(rows.map((r) => r.id)).toEqual(ids);
      expect(rows.every((r) => r.note === "updated by test" && Number(r.discount) === 9.99)).toBe(true);
    });

    it("update through a relation filter sets JSON, arrays, timestamps and NULL", async () => {
      const where =
        "city = 'Lyon' and exists (select 1 from orders o where o.customer_id = customers.id and o.status = 'cancelled')";
      const ids = (await db.unsafe(`select id from customers where ${where} order by id`)).map(
        (r) => r.id as number,
      );
      expect(ids.length).toBeGreaterThan(0);
      const got = await data<{ update_customers: Row }>(
        `mutation($d: customers_mut_data!) {
           update_customers(filter: {city: {eq: "Lyon"}, orders: {any_of: {status: {eq: "cancelled"}}}}, data: $d) {
             affected_rows } }`,
        {
          d: {
            tags: ["updated"],
            profile: { updated: true, list: [1, 2] },
            birth_date: null,
            created_at: TS,
          },
        },
      );
      expect(got.update_customers).toEqual({ affected_rows: ids.length });
      const read = await data<{ customers: Row[] }>(
        `{ customers(filter: {id: {in: [${ids.join(", ")}]}}, order_by: [{field: "id"}]) { ${CUSTOMER_FIELDS} } }`,
      );
      const updated = read.customers;
      expect(updated.map((r) => r.id)).toEqual(ids);
      for (const row of updated) {
        expect(row).toMatchObject({
          tags: ["updated"],
          profile: { updated: true, list: [1, 2] },
          birth_date: null,
        });
        expect(Date.parse(String(row.created_at))).toBe(Date.parse(TS));
      }
      expect(norm(updated)).toEqual(
        norm(
          await sqlRows(
            `select ${CUSTOMER_COLUMNS} from customers where id in (${ids.join(", ")}) order by id`,
          ),
        ),
      );
    });

    it("delete answers how many rows it deleted and they are gone (children by ON DELETE CASCADE)", async () => {
      expect(nestedCustomerId).toBeGreaterThan(0);
      const orderIds = (
        await db`select id from orders where customer_id = ${nestedCustomerId} order by id`
      ).map((r) => r.id as number);
      expect(orderIds).toHaveLength(2);
      const orders = await data<{ delete_orders: Row }>(
        `mutation { delete_orders(filter: {customer_id: {eq: ${nestedCustomerId}}}) { success affected_rows } }`,
      );
      expect(orders.delete_orders).toEqual({ success: true, affected_rows: 2 });
      expect(await db`select id from orders where customer_id = ${nestedCustomerId}`).toHaveLength(0);
      expect(await db`select 1 from order_items where order_id in ${db(orderIds)}`).toHaveLength(0);
      const customer = await data<{ delete_customers: Row; none: Row }>(
        `mutation { delete_customers(filter: {id: {eq: ${nestedCustomerId}}}) { affected_rows }
                    none: delete_customers(filter: {email: {eq: "nobody@example.com"}}) { affected_rows } }`,
      );
      expect(customer.delete_customers).toEqual({ affected_rows: 1 });
      expect(customer.none).toEqual({ affected_rows: 0 });
      expect(await db`select id from customers where id = ${nestedCustomerId}`).toHaveLength(0);
    });

    it("text that looks like SQL is stored, filtered and deleted as plain text", async () => {
      const name = "Robert'); drop table customers; --";
      const email = `bobby" or "1"="1@example.com`;
      const tag = "'; delete from orders; --";
      const before = await counts();
      const inserted = await data<{ insert_customers: Row }>(
        `mutation($d: customers_mut_input_data!) { insert_customers(data: $d) { id name email tags } }`,
        { d: { name, email, vip: false, tags: [tag], created_at: TS } },
      );
      const id = Number(inserted.insert_customers.id);
      expect(inserted.insert_customers).toEqual({ id, name, email, tags: [tag] });
      expect(await db`select full_name, email, tags from customers where id = ${id}`).toEqual([
        { full_name: name, email, tags: [tag] },
      ]);
      const found = await data<Record<string, Row[]>>(
        `query($n: String!) { v: customers(filter: {name: {eq: $n}}) { id }
           l: customers(filter: {name: {like: "%'); drop table%"}}) { id }
           t: customers(filter: {tags: {contains: ["'; delete from orders; --"]}}) { id } }`,
        { n: name },
      );
      expect(found).toEqual({ v: [{ id }], l: [{ id }], t: [{ id }] });
      const deleted = await data<{ delete_customers: Row }>(
        `mutation($n: String!) { delete_customers(filter: {name: {eq: $n}}) { affected_rows } }`,
        { n: name },
      );
      expect(deleted.delete_customers).toEqual({ affected_rows: 1 });
      expect(await counts()).toEqual(before);
    });

    it("a unique violation is a GraphQL error naming neither the DSN nor the password", async () => {
      const { status, body } = await gql(
        `mutation { insert_customers(data: {name: "Dup", email: "user1@example.com", vip: false, tags: [], created_at: "${TS}"}) { id } }`,
      );
      expect(status).toBe(200);
      expect(body.errors?.length ?? 0).toBeGreaterThan(0);
      expect(body.errors![0]!.message).toMatch(/duplicate|unique/i);
      const text = JSON.stringify(body);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain("postgres://");
      expect(text).not.toContain(`${ROLE}:`);
      expect(await db`select id from customers where email = 'user1@example.com'`).toHaveLength(1);
    });

    it("all mutations of one request run in one transaction", async () => {
      const { body } = await gql(
        `mutation { a: insert_categories(data: {id: 40, name: "Tx A"}) { id }
                    b: insert_categories(data: {id: 41, name: "Books"}) { id } }`,
      );
      expect(body.errors?.length ?? 0).toBeGreaterThan(0);
      expect(await db`select id from categories where id in (40, 41)`).toHaveLength(0);
    });
  });
});

describe("the same database as other kinds of data source", () => {
  it("prefix p: types and root fields are p_…, next to the unprefixed source", async () => {
    await registerSource("shop3", { prefix: "p" });
    const got = await expectQuery(
      `{ p_customers(order_by: [{field: "id"}], limit: 5) { id name orders(order_by: [{field: "id"}]) { id } }
         p_customers_by_pk(id: 2) { email }
         p_customers_aggregation { _rows_count }
         p_customer_totals(order_by: [{field: "customer_id"}], limit: 3) { customer_id orders_count }
         customers(order_by: [{field: "id"}], limit: 2) { id } }`,
      {
        p_customers:
          "select c.id, c.full_name as name, (select coalesce(jsonb_agg(o order by o.id), '[]') from (select id " +
          "from orders where customer_id = c.id) o) as orders from customers c order by c.id limit 5",
        p_customers_by_pk: { one: "select email from customers where id = 2" },
        p_customers_aggregation: { one: "select count(*) as _rows_count from customers" },
        p_customer_totals: `select customer_id, orders_count from (${CUSTOMER_TOTALS_SQL}) v order by customer_id limit 3`,
        customers: "select id from customers order by id limit 2",
      },
    );
    expect(got.p_customers).toHaveLength(5);
    const fields = await typeFields("p_customers");
    expect(namedType(fields.get("orders")!)).toBe("p_orders");
    expect(await typeFields("p_customers_filter")).toBeDefined();
    const mutations = await rootFields("mutationType");
    expect(mutations).toEqual(
      expect.arrayContaining(["insert_p_customers", "update_p_orders", "delete_p_order_items"]),
    );
  });

  it("as_module: everything under a field named after the source, queries and mutations", async () => {
    await unloadSource("shop");
    await unloadSource("shop3");
    await registerSource("shop2", { as_module: true });
    const queries = await rootFields("queryType");
    expect(queries).toContain("shop2");
    expect(queries).not.toContain("customers");
    expect(queries).not.toContain("p_customers");
    const expected = {
      customers: await sqlRows("select id, full_name as name from customers order by id limit 5"),
      one: (await sqlRows("select email from customers where id = 2"))[0],
      count: (await sqlRows("select count(*) as _rows_count from customers"))[0],
    };
    const got = await data<{ shop2: Record<string, unknown> }>(
      `{ shop2 { customers(order_by: [{field: "id"}], limit: 5) { id name }
                 customers_by_pk(id: 2) { email }
                 customers_aggregation { _rows_count } } }`,
    );
    expect(norm(got.shop2)).toEqual(
      norm({
        customers: expected.customers,
        customers_by_pk: expected.one,
        customers_aggregation: expected.count,
      }),
    );
    const inserted = await data<{ shop2: { insert_categories: Row } }>(
      `mutation { shop2 { insert_categories(data: {id: 50, name: "Module made"}) { id name } } }`,
    );
    expect(inserted.shop2.insert_categories).toEqual({ id: 50, name: "Module made" });
    expect(await db`select name from categories where id = 50`).toEqual([{ name: "Module made" }]);
    const deleted = await data<{ shop2: { delete_categories: Row } }>(
      `mutation { shop2 { delete_categories(filter: {id: {eq: 50}}) { affected_rows } } }`,
    );
    expect(deleted.shop2.delete_categories).toEqual({ affected_rows: 1 });
    expect(await db`select name from categories where id = 50`).toHaveLength(0);
  });

  it("as_module with a prefix: hugr prefixes the type names only, the module's fields keep the table's", async () => {
    await unloadSource("shop2");
    await registerSource("shop4", { as_module: true, prefix: "s4" });
    const got = await data<{ shop4: Record<string, unknown> }>(
      `{ shop4 { categories(order_by: [{field: "id"}], limit: 2) { __typename id }
                 categories_by_pk(id: 1) { __typename }
                 categories_aggregation { __typename _rows_count } } }`,
    );
    const expected = await sqlRows("select id from categories order by id limit 2");
    expect(got.shop4["categories"]).toEqual(expected.map((r) => ({ __typename: "s4_categories", id: r.id })));
    expect(got.shop4["categories_by_pk"]).toEqual({ __typename: "s4_categories" });
    expect(got.shop4["categories_aggregation"]).toMatchObject({ __typename: "s4_categories_aggregation" });
    const inserted = await data<{ shop4: { insert_categories: Row; update_categories: Row } }>(
      `mutation { shop4 { insert_categories(data: {id: 51, name: "Prefixed"}) { __typename id }
                          update_categories(filter: {id: {eq: 51}}, data: {name: "Renamed"}) { affected_rows } } }`,
    );
    expect(inserted.shop4).toEqual({
      insert_categories: { __typename: "s4_categories", id: 51 },
      update_categories: { affected_rows: 1 },
    });
    expect(await db`select name from categories where id = 51`).toEqual([{ name: "Renamed" }]);
    await data(`mutation { shop4 { delete_categories(filter: {id: {eq: 51}}) { affected_rows } } }`);
  });

  it("read_only: the tables are queryable but have no insert_, update_ or delete_ fields", async () => {
    await unloadSource("shop4");
    await registerSource("shop_ro", { read_only: true });
    await expectQuery(`{ categories(order_by: [{field: "id"}]) { id name } }`, {
      categories: "select id, name from categories order by id",
    });
    const mutations = await rootFields("mutationType");
    expect(mutations.filter((f) => /^(insert|update|delete)_/.test(f))).toEqual([]);
    const { body } = await gql(`mutation { insert_categories(data: {id: 60, name: "Never"}) { id } }`);
    expect(body.errors?.length ?? 0).toBeGreaterThan(0);
    expect(await db`select id from categories where id = 60`).toHaveLength(0);
  });

  it("self_defined without catalogs: the tables are introspected with their keys and relations", async () => {
    await unloadSource("shop_ro");
    await registerSource("shop_auto", { self_defined: true });
    const customers = await typeFields("customers");
    expect([...customers.keys()]).toEqual(
      expect.arrayContaining([
        "id",
        "full_name",
        "email",
        "city",
        "vip",
        "tags",
        "scores",
        "profile",
        "created_at",
      ]),
    );
    const toOrders = relationTo(customers, "orders", true);
    const toCustomer = relationTo(await typeFields("orders"), "customers", false);
    const orderItems = await typeFields("order_items");
    relationTo(orderItems, "orders", false);
    relationTo(orderItems, "products", false);
    relationTo(await typeFields("item_returns"), "order_items", false); // the composite foreign key
    const [item] =
      await db`select order_id, product_id from order_items order by order_id, product_id limit 1`;
    await expectQuery(
      `{ customers(order_by: [{field: "id"}]) { id full_name ${toOrders}(order_by: [{field: "id"}]) { id } }
         orders(order_by: [{field: "id"}], limit: 10) { id ${toCustomer} { id email } }
         customers_by_pk(id: 1) { email }
         order_items_by_pk(order_id: ${item!.order_id}, product_id: ${item!.product_id}) { quantity } }`,
      {
        customers:
          `select c.id, c.full_name, (select coalesce(jsonb_agg(o order by o.id), '[]') from (select id from orders ` +
          `where customer_id = c.id) o) as "${toOrders}" from customers c order by c.id`,
        orders:
          `select o.id, (select to_jsonb(c) from (select id, email from customers where id = o.customer_id) c) ` +
          `as "${toCustomer}" from orders o order by o.id limit 10`,
        customers_by_pk: { one: "select email from customers where id = 1" },
        order_items_by_pk: {
          one: `select quantity from order_items where order_id = ${item!.order_id} and product_id = ${item!.product_id}`,
        },
      },
    );
    await unloadSource("shop_auto");
  });

  it("no response ever contained the DSN password", () => {
    expect(bodies.length).toBeGreaterThan(40);
    expect(bodies.filter((body) => body.includes(PASSWORD))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** GraphQL requests to the node, every response body kept for the password check. */
const { gql, data } = recordingClient(() => node, bodies);

/** Makes GraphQL and SQL values comparable: timestamps become epoch ms, BigInt numbers; JSON stays. */
const norm = normaliser({
  timestamp: ["created_at", "ordered_at", "returned_at", "last_order_at"],
  bigint: ["views", "orders_count", "_rows_count", "count"],
  json: ["profile", "attributes"],
});

/** Answers compared with the shop database's, normalised by `norm`. */
const { sqlRows, expectQuery } = sqlComparison({
  db: () => db,
  data: (query) => data(query),
  normalise: norm,
});

/** [GraphQL filter literal, the same condition in SQL over the table's columns]. */
type FilterCase = readonly [filter: string, where: string];

interface FilterOptions {
  /** Key fields (also columns) to select and order by; default ["id"]. */
  key?: string[];
  variables?: Record<string, { type: string; value: unknown }>;
}

/**
 * Runs each filter as an aliased field of one request and compares the keys it returns with the rows
 * SQL finds for the same condition. A case that SQL finds no row for tests nothing and fails.
 */
async function expectFilters(
  table: string,
  cases: readonly FilterCase[],
  options: FilterOptions = {},
): Promise<void> {
  const key = options.key ?? ["id"];
  const expected: Row[][] = [];
  for (const [, where] of cases) {
    const rows = await sqlRows(
      `select ${key.join(", ")} from ${table} where ${where} order by ${key.join(", ")}`,
    );
    expect(rows.length, `no ${table} row has ${where}: the case tests nothing`).toBeGreaterThan(0);
    expected.push(rows);
  }
  const orderBy = key.map((k) => `{field: "${k}"}`).join(", ");
  const fields = cases.map(
    ([filter], i) => `c${i}: ${table}(filter: ${filter}, order_by: [${orderBy}]) { ${key.join(" ")} }`,
  );
  const variables = Object.entries(options.variables ?? {});
  const definitions = variables.length
    ? `(${variables.map(([name, v]) => `$${name}: ${v.type}`).join(", ")})`
    : "";
  const got = await data<Record<string, Row[]>>(
    `query${definitions} { ${fields.join("\n")} }`,
    Object.fromEntries(variables.map(([name, v]) => [name, v.value])),
  );
  // keyed by filter, so one failure report shows every case that differs
  const byFilter = (rows: (i: number) => unknown): Row =>
    Object.fromEntries(cases.map(([filter], i) => [filter, rows(i)]));
  expect(byFilter((i) => got[`c${i}`])).toEqual(byFilter((i) => expected[i]));
}

/**
 * Compares `<object>_aggregation(args) { _rows_count field { op … } … }` with the same aggregates in
 * SQL over `from` (a relation, optionally with a where clause). `columns` maps renamed fields.
 */
async function expectAggregation(
  object: string,
  args: string,
  from: string,
  spec: Record<string, string[]>,
  columns: Record<string, string> = {},
): Promise<void> {
  const parts = ["'_rows_count', count(*)"];
  for (const [field, ops] of Object.entries(spec)) {
    const column = columns[field] ?? field;
    parts.push(`'${field}', jsonb_build_object(${ops.map((op) => `'${op}', ${op}(${column})`).join(", ")})`);
  }
  const [row] = await db.unsafe(`select jsonb_build_object(${parts.join(", ")}) as j from ${from}`);
  const got = await data<{ a: Row }>(aggregationQuery(object, args, spec));
  expectClose(got.a, row!.j);
}

/** Row counts of every shop table. */
async function counts(): Promise<Row> {
  const columns = SHOP_TABLES.map((t) => `(select count(*) from ${t})::int as ${t}`).join(", ");
  const [row] = await db.unsafe(`select ${columns}`);
  return { ...row };
}

/**
 * The statements the node's role sent since byte `offset` of the server log (log_statement = all
 * for that role): one entry per statement, continuation lines included.
 */
async function statementsSince(offset: number): Promise<string[]> {
  const text = (await readFile(serverLog)).subarray(offset).toString("utf8");
  return text
    .split(/\n(?=\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})/)
    .filter((entry) => /\bLOG:\s+(?:statement|execute [^:]*):/.test(entry));
}

interface SourceOptions {
  prefix?: string;
  as_module?: boolean;
  read_only?: boolean;
  /** Introspect the database instead of reading a catalog (registered without catalogs). */
  self_defined?: boolean;
}

/** insert_data_sources with the shop catalog (unless self_defined), then load_data_source. */
async function registerSource(name: string, options: SourceOptions = {}): Promise<Row> {
  const selfDefined = options.self_defined ?? false;
  const source = {
    name,
    type: "postgres",
    prefix: options.prefix ?? "",
    path: sourceUrl,
    as_module: options.as_module ?? false,
    read_only: options.read_only ?? false,
    self_defined: selfDefined,
    ...(selfDefined ? {} : { catalogs: [{ name, type: "text", path: SHOP_CATALOG }] }),
  };
  const inserted = await data<{ core: { insert_data_sources: Row } }>(
    `mutation($data: data_sources_mut_input_data!) { core { insert_data_sources(data: $data) {
       name type prefix path as_module read_only self_defined catalogs { name type } } } }`,
    { data: source },
  );
  await loadSource(name);
  return inserted.core.insert_data_sources;
}

async function loadSource(name: string): Promise<void> {
  await expectOperation("load_data_source", name);
}

async function unloadSource(name: string): Promise<void> {
  await expectOperation("unload_data_source", name);
}

async function expectOperation(operation: string, name: string): Promise<void> {
  const got = await data<{ function: { core: Record<string, { success: boolean; message: string }> } }>(
    `mutation { function { core { ${operation}(name: "${name}") { success message } } } }`,
  );
  const result = got.function.core[operation];
  expect(result?.success, `${operation}(${name}): ${result?.message}`).toBe(true);
}

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";

/** The fields of a GraphQL type by name, with their types; fails when the type does not exist. */
async function typeFields(typeName: string): Promise<Map<string, TypeRef>> {
  const got = await data<{ __type: { fields: { name: string; type: TypeRef }[] | null } | null }>(
    `{ __type(name: "${typeName}") { fields { name type { ${TYPE_REF} } } } }`,
  );
  expect(got.__type, `type ${typeName}`).not.toBeNull();
  return new Map((got.__type!.fields ?? []).map((f) => [f.name, f.type]));
}

async function rootFields(root: "queryType" | "mutationType"): Promise<string[]> {
  const got = await data<{ __schema: Record<string, { fields: { name: string }[] } | null> }>(
    `{ __schema { ${root} { fields { name } } } }`,
  );
  return (got.__schema[root]?.fields ?? []).map((f) => f.name);
}

function namedType(type: TypeRef): string {
  return type.ofType ? namedType(type.ofType) : (type.name ?? "");
}

function isList(type: TypeRef): boolean {
  return type.kind === "LIST" || (type.ofType !== null && isList(type.ofType));
}

/** The name of the one field of an introspected type that is a relation to `target` (a list or not). */
function relationTo(fields: Map<string, TypeRef>, target: string, list: boolean): string {
  const names = [...fields]
    .filter(([, type]) => namedType(type) === target && isList(type) === list)
    .map(([n]) => n);
  expect(names, `a ${list ? "one-to-many" : "many-to-one"} field to ${target}`).toHaveLength(1);
  return names[0]!;
}
