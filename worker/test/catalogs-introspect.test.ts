/**
 * Introspection of self-defined sources against real engines: a private PostgreSQL server and an
 * in-memory DuckDB, each holding tables with single and composite keys, foreign keys (also two to one
 * table, a self-reference and one whose name clashes with a column), arrays, JSON, timestamps and a view.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  introspectCatalog,
  parseCatalog,
  printCatalog,
  type CatalogModel,
  type FieldModel,
  type ObjectModel,
} from "../src/engine/catalogs/index.js";
import type { Querier, Row } from "../src/engine/querier.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";

const POSTGRES_SCHEMA = `
  create type mood as enum ('happy', 'sad');
  create table customers (
    id serial primary key,
    email text not null unique,
    name varchar(100),
    tags text[],
    scores int4[] not null,
    meta jsonb,
    extra json,
    created_at timestamptz not null default now(),
    seen timestamp,
    birthday date,
    wake time,
    balance numeric(10, 2),
    ratio double precision,
    active boolean,
    big bigint,
    small smallint,
    ref uuid,
    feeling mood
  );
  create table orders (
    id integer generated always as identity primary key,
    buyer_id integer not null references customers (id),
    seller_id integer references customers (id),
    total double precision
  );
  create table order_lines (order_id integer references orders (id), line integer, qty integer, primary key (order_id, line));
  -- Both foreign keys below are named "fk": PostgreSQL allows it (names are unique per table only).
  create table shipments (
    id bigint primary key, order_id integer, line integer,
    constraint fk foreign key (order_id, line) references order_lines (order_id, line)
  );
  create table employees (id integer primary key, manager_id integer constraint fk references employees (id));
  create table notes (id integer primary key, customer_id integer references customers (id), customers text);
  create view big_orders as select id, total from orders where total > 100;
  create schema sales;
  create table sales.regions (code text primary key, "Display Name" text, customer_id integer references public.customers (id));
`;

const DUCKDB_SCHEMA = `
  create sequence customers_id;
  create type mood as enum ('happy', 'sad');
  create table customers (
    id integer primary key default nextval('customers_id'),
    email varchar not null unique,
    name varchar,
    tags varchar[],
    scores integer[] not null,
    meta json,
    created_at timestamptz not null default current_timestamp,
    seen timestamp,
    birthday date,
    wake time,
    balance decimal(10, 2),
    ratio double,
    active boolean,
    big bigint,
    small smallint,
    ref uuid,
    feeling mood
  );
  create table orders (
    id integer primary key,
    buyer_id integer not null references customers (id),
    seller_id integer references customers (id),
    total double
  );
  create table order_lines (order_id integer references orders (id), line integer, qty integer, primary key (order_id, line));
  create table shipments (id bigint primary key, order_id integer, line integer, foreign key (order_id, line) references order_lines (order_id, line));
  create view big_orders as select id, total from orders where total > 100;
  create schema sales;
  create table sales.regions (code varchar primary key, "Display Name" varchar);
  create schema a;
  create schema a_b;
  create table a.b_c ("1st" integer, "first" integer);
  create table a_b.c (id integer);
`;

const field = (name: string, type: FieldModel["type"], extra: Partial<FieldModel> = {}): FieldModel => ({
  name,
  column: name,
  type,
  list: false,
  nonNull: false,
  pk: false,
  ...extra,
});

const object = (model: CatalogModel, name: string): ObjectModel => {
  const found = model.objects.find((o) => o.name === name);
  if (!found) throw new Error(`no object ${name} in ${model.objects.map((o) => o.name).join(", ")}`);
  return found;
};

const relations = (model: CatalogModel, name: string): [string, string, string, string[], string[]][] =>
  object(model, name).relations.map((r) => [r.name, r.kind, r.target, r.sourceFields, r.targetFields]);

/**
 * The fields of `customers`, alike on both engines but for the sequence of `id` and the columns
 * only one engine's table has (`afterMeta`, after `meta`).
 */
function customerFields(sequence: string, afterMeta: FieldModel[] = []): FieldModel[] {
  return [
    field("id", "Int", { nonNull: true, pk: true, default: { sequence } }),
    field("email", "String", { nonNull: true }),
    field("name", "String"),
    field("tags", "String", { list: true }),
    field("scores", "Int", { list: true, nonNull: true }),
    field("meta", "JSON"),
    ...afterMeta,
    field("created_at", "Timestamp", { nonNull: true }),
    field("seen", "Timestamp"),
    field("birthday", "Date"),
    field("wake", "Time"),
    field("balance", "Float"),
    field("ratio", "Float"),
    field("active", "Boolean"),
    field("big", "BigInt"),
    field("small", "Int"),
    field("ref", "String"),
    field("feeling", "String"),
  ];
}

/** What both engines report the same way. */
function expectSharedShape(model: CatalogModel): void {
  expect(object(model, "orders").relations.map((r) => [r.name, r.kind])).toEqual([
    ["customers_by_buyer_id", "one"],
    ["customers_by_seller_id", "one"],
    ["order_lines", "many"],
  ]);
  expect(relations(model, "order_lines")).toEqual([
    ["orders", "one", "orders", ["order_id"], ["id"]],
    ["shipments", "many", "shipments", ["order_id", "line"], ["order_id", "line"]],
  ]);
  expect(relations(model, "shipments")).toEqual([
    ["order_lines", "one", "order_lines", ["order_id", "line"], ["order_id", "line"]],
  ]);
  expect(
    object(model, "order_lines")
      .fields.filter((f) => f.pk)
      .map((f) => f.name),
  ).toEqual(["order_id", "line"]);
  expect(object(model, "big_orders")).toEqual({
    name: "big_orders",
    kind: "view",
    sqlName: "big_orders",
    fields: [field("id", "Int"), field("total", "Float")],
    relations: [],
    uniques: [],
  });
  // What introspection found is valid hugr SDL that reads back to the same model.
  expect(parseCatalog([{ origin: "introspected.graphql", text: printCatalog(model) }])).toEqual(model);
}

describe("introspectCatalog on PostgreSQL", () => {
  let pg: PostgresInstance;
  let sql: postgres.Sql;
  let querier: Querier;

  beforeAll(async () => {
    pg = await startPostgres({ database: "shop" });
    sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(POSTGRES_SCHEMA);
    querier = { query: async (text, params) => [...(await sql.unsafe<Row[]>(text, params as never[]))] };
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await pg?.stop();
  });

  it("reads tables, views, column types, keys and relations of every non-system schema", async () => {
    const model = await introspectCatalog(querier, "postgres");
    expect(model.objects.map((o) => o.name)).toEqual([
      "big_orders",
      "customers",
      "employees",
      "notes",
      "order_lines",
      "orders",
      "shipments",
      "sales_regions",
    ]);
    expect(object(model, "customers").fields).toEqual(
      customerFields("public.customers_id_seq", [field("extra", "JSON")]),
    );
    expect(object(model, "orders").fields[0]).toEqual(
      field("id", "Int", { nonNull: true, pk: true, default: { sequence: "public.orders_id_seq" } }),
    );
    expect(relations(model, "customers")).toEqual([
      ["notes", "many", "notes", ["id"], ["customer_id"]],
      ["orders_by_buyer_id", "many", "orders", ["id"], ["buyer_id"]],
      ["orders_by_seller_id", "many", "orders", ["id"], ["seller_id"]],
      ["sales_regions", "many", "sales_regions", ["id"], ["customer_id"]],
    ]);
    // notes has a column named "customers", so its relation to customers gets the "_by_<column>" suffix.
    expect(relations(model, "notes")).toEqual([
      ["customers_by_customer_id", "one", "customers", ["customer_id"], ["id"]],
    ]);
    expect(relations(model, "employees")).toEqual([
      ["employees_by_manager_id", "one", "employees", ["manager_id"], ["id"]],
      ["employees_by_manager_id_2", "many", "employees", ["id"], ["manager_id"]],
    ]);
    expect(object(model, "sales_regions")).toEqual({
      name: "sales_regions",
      kind: "table",
      sqlName: "sales.regions",
      fields: [
        field("code", "String", { nonNull: true, pk: true }),
        { ...field("Display_Name", "String"), column: "Display Name" },
        field("customer_id", "Int"),
      ],
      relations: [
        {
          name: "customers",
          target: "customers",
          kind: "one",
          sourceFields: ["customer_id"],
          targetFields: ["id"],
        },
      ],
      uniques: [],
    });
    expectSharedShape(model);
  });

  it("reads only the given schemas, leaving out foreign keys to tables outside them", async () => {
    const model = await introspectCatalog(querier, "postgres", { schemas: ["sales"] });
    expect(model.objects.map((o) => [o.name, o.sqlName, o.relations])).toEqual([
      ["sales_regions", "sales.regions", []],
    ]);
  });
});

describe("introspectCatalog on DuckDB", () => {
  let connection: DuckDBConnection;
  let querier: Querier;

  beforeAll(async () => {
    connection = await (await DuckDBInstance.create(":memory:")).connect();
    await connection.run(DUCKDB_SCHEMA);
    querier = {
      query: async (text, params) =>
        (await connection.runAndReadAll(text, params as DuckDBValue[])).getRowObjectsJS(),
    };
  });
  afterAll(() => {
    connection?.closeSync();
  });

  it("reads the main schema's tables, views, column types, keys and relations", async () => {
    const model = await introspectCatalog(querier, "duckdb");
    expect(model.objects.map((o) => o.name)).toEqual([
      "big_orders",
      "customers",
      "order_lines",
      "orders",
      "shipments",
    ]);
    expect(object(model, "customers").fields).toEqual(customerFields("customers_id"));
    expect(relations(model, "customers")).toEqual([
      ["orders_by_buyer_id", "many", "orders", ["id"], ["buyer_id"]],
      ["orders_by_seller_id", "many", "orders", ["id"], ["seller_id"]],
    ]);
    expectSharedShape(model);
  });

  it("names objects of other schemas <schema>_<table> and addresses them schema-qualified", async () => {
    const model = await introspectCatalog(querier, "duckdb", { schemas: ["sales"] });
    expect(model.objects).toEqual([
      {
        name: "sales_regions",
        kind: "table",
        sqlName: "sales.regions",
        fields: [
          field("code", "String", { nonNull: true, pk: true }),
          { ...field("Display_Name", "String"), column: "Display Name" },
        ],
        relations: [],
        uniques: [],
      },
    ]);
  });

  it("makes names hugr names and keeps them unique", async () => {
    const model = await introspectCatalog(querier, "duckdb", { schemas: ["a", "a_b"] });
    expect(model.objects.map((o) => [o.name, o.sqlName, o.fields.map((f) => [f.name, f.column])])).toEqual([
      [
        "a_b_c",
        "a.b_c",
        [
          ["_1st", "1st"],
          ["first", "first"],
        ],
      ],
      ["a_b_c_2", "a_b.c", [["id", "id"]]],
    ]);
  });
});
