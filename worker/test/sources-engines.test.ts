/**
 * The data-source engines on real databases: a private PostgreSQL server and DuckDB files in a temp
 * directory. Both engines run the same dialect-built JSON statements and must return the same values.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDuckDbEngine, rewriteObjectUrls } from "../src/engine/duckdb/index.js";
import type { SourceEngine, SqlDialect } from "../src/engine/engine.js";
import { SourceConnectionError, SourceQueryError } from "../src/engine/errors.js";
import { openPostgresEngine, type PostgresEngineOptions } from "../src/engine/postgres/index.js";
import { freePort } from "./harness/net.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";

const PG_OPTIONS: PostgresEngineOptions = {
  maxConnections: 4,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
};

/** The same small schema for both engines: orders with items, one order without any. */
const SETUP = [
  "create table orders (id bigint primary key, customer varchar, total decimal(10, 2), placed date, seen timestamp)",
  "create table items (order_id bigint, sku varchar, qty integer)",
  "insert into orders values (1, 'ann', 12.50, '2024-01-02', '2024-01-02 03:04:05.123456'), " +
    "(2, 'bob', 0.00, '2024-02-03', '2024-02-03 00:00:00'), (9007199254740993, 'big', 1.00, null, null)",
  "insert into items values (1, 'a-1', 3), (1, 'a-2', 1), (1, 'a-3', 2), (2, 'b-1', 5)",
];

/** Orders with their items (largest quantity first), built through the dialect under test. */
function nestedOrdersSql(d: SqlDialect): string {
  const item = d.jsonObject([
    ["sku", "i.sku"],
    ["qty", "i.qty"],
  ]);
  const items = `(select ${d.jsonArrayAgg(item, "i.qty DESC")} from items i where i.order_id = o.id)`;
  const order = d.jsonObject([
    ["id", "o.id"],
    ["customer", "o.customer"],
    ["items", items],
  ]);
  return `select ${order} as j from orders o where o.id < $1 order by o.id`;
}

const NESTED_ORDERS = [
  {
    id: 1,
    customer: "ann",
    items: [
      { sku: "a-1", qty: 3 },
      { sku: "a-3", qty: 2 },
      { sku: "a-2", qty: 1 },
    ],
  },
  { id: 2, customer: "bob", items: [{ sku: "b-1", qty: 5 }] },
];

/** One object of 60 fields, beyond json_build_object's 50 pairs. */
function wideObjectSql(d: SqlDialect): string {
  const pairs = Array.from({ length: 60 }, (_, i) => [`f${i}`, `o.id + ${i}`] as const);
  return `select ${d.jsonObject(pairs)} as j from orders o where o.id = 1`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

/** The checks both engines must pass with the same results. */
function sharedBehaviour(engine: () => SourceEngine): void {
  it("returns nested JSON arrays and objects built by its dialect, [] for no items", async () => {
    const { dialect } = engine();
    const rows = await engine().query(nestedOrdersSql(dialect), [3]);
    expect(rows.map((row) => dialect.parseJson(row.j))).toEqual(NESTED_ORDERS);
    const empty = await engine().query(
      `select ${dialect.jsonArrayAgg("i.sku", "i.sku")} as j from items i where i.order_id = $1`,
      [404],
    );
    expect(dialect.parseJson(empty[0]?.j)).toEqual([]);
  });

  it("builds an object of 60 fields in order", async () => {
    const { dialect } = engine();
    const [row] = await engine().query(wideObjectSql(dialect), []);
    const object = dialect.parseJson(row?.j) as Record<string, number>;
    expect(Object.keys(object)).toEqual(Array.from({ length: 60 }, (_, i) => `f${i}`));
    expect(object.f0).toBe(1);
    expect(object.f59).toBe(60);
  });

  it("gives plain JSON values: exact integers as numbers, others as text, decimals, ISO dates", async () => {
    const rows = await engine().query(
      "select id, total, placed, seen, customer from orders where id = $1 or id > $2 order by id",
      [1, 9_000_000_000_000_000],
    );
    expect(rows).toEqual([
      { id: 1, total: 12.5, placed: "2024-01-02", seen: "2024-01-02T03:04:05.123456", customer: "ann" },
      { id: "9007199254740993", total: 1, placed: null, seen: null, customer: "big" },
    ]);
  });

  it("matches regular expressions anywhere in the text", async () => {
    const { dialect } = engine();
    const rows = await engine().query(
      `select sku from items where ${dialect.regexMatch("sku", "$1")} order by sku`,
      ["-[23]"],
    );
    expect(rows).toEqual([{ sku: "a-2" }, { sku: "a-3" }]);
  });

  it("commits a transaction, and rolls it back when the work throws, passing its error through", async () => {
    await engine().transaction(async (tx) => {
      await tx.query("insert into items values ($1, $2, $3)", [2, "b-2", 7]);
    });
    const failure = new Error("work failed");
    const thrown = await rejection(
      engine().transaction(async (tx) => {
        await tx.query("insert into items values ($1, $2, $3)", [2, "b-3", 8]);
        throw failure;
      }),
    );
    expect(thrown).toBe(failure);
    const rows = await engine().query("select sku from items where order_id = 2 order by sku", []);
    expect(rows).toEqual([{ sku: "b-1" }, { sku: "b-2" }]);
    await engine().query("delete from items where sku = 'b-2'", []);
  });

  it("turns a refused statement into a SourceQueryError", async () => {
    const error = await rejection(engine().query("select * from no_such_table", []));
    expect(error).toBeInstanceOf(SourceQueryError);
    expect((error as SourceQueryError).message).toMatch(/no_such_table/);
  });
}

describe("PostgreSQL engine", () => {
  let server: PostgresInstance;
  let engine: SourceEngine;

  beforeAll(async () => {
    server = await startPostgres({ database: "source" });
    engine = await openPostgresEngine(server.url, PG_OPTIONS);
    for (const statement of SETUP) await engine.query(statement, []);
  });

  afterAll(async () => {
    await engine?.close();
    await server?.stop();
  });

  sharedBehaviour(() => engine);

  it("reports the SQLSTATE of a refused statement", async () => {
    const error = (await rejection(engine.query("select * from no_such_table", []))) as SourceQueryError;
    expect(error).toMatchObject({ engine: "postgres", code: "42P01" });
    expect(error.message).toBe('relation "no_such_table" does not exist');
  });

  it("returns json columns parsed, timestamptz in UTC and sets the session parameters", async () => {
    const [row] = await engine.query(
      "select '{\"a\":[1,2]}'::jsonb as j, '\"text\"'::json as s, " +
        "timestamptz '2024-01-02 03:04:05.5+02' as tz, current_setting('application_name') as app, " +
        "current_setting('statement_timeout') as timeout, 123456789012::int8 as n, 2.5::numeric as x",
      [],
    );
    expect(row).toEqual({
      j: { a: [1, 2] },
      s: "text",
      tz: "2024-01-02T01:04:05.5Z",
      app: "hugr-worker",
      timeout: "10s",
      n: 123456789012,
      x: 2.5,
    });
  });

  it("binds arrays and JS bigints", async () => {
    const rows = await engine.query("select id from orders where id = any($1) order by id", [
      [2, 9007199254740993n],
    ]);
    expect(rows).toEqual([{ id: 2 }, { id: "9007199254740993" }]);
  });

  it("cancels a statement that outlives statementTimeoutMs with SQLSTATE 57014", async () => {
    const short = await openPostgresEngine(server.url, { ...PG_OPTIONS, statementTimeoutMs: 200 });
    try {
      const started = Date.now();
      const error = await rejection(short.query("select pg_sleep(5)", []));
      expect(error).toBeInstanceOf(SourceQueryError);
      expect(error).toMatchObject({ code: "57014", message: "canceling statement due to statement timeout" });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await short.close();
    }
  });

  it("runs no more statements at once than maxConnections", async () => {
    const small = await openPostgresEngine(server.url, { ...PG_OPTIONS, maxConnections: 2 });
    try {
      const rows = await Promise.all(
        Array.from({ length: 8 }, () => small.query("select pg_backend_pid() as pid, pg_sleep(0.05)", [])),
      );
      const pids = new Set(rows.map(([row]) => row?.pid));
      expect(pids.size).toBe(2);
    } finally {
      await small.close();
    }
  });

  it("lets a running statement finish on close, then refuses new ones", async () => {
    const closing = await openPostgresEngine(server.url, PG_OPTIONS);
    const events: string[] = [];
    const running = closing.query("select pg_sleep(0.5), 42 as answer", []).then((rows) => {
      events.push("query");
      return rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await closing.close();
    events.push("closed");
    expect(await running).toEqual([{ pg_sleep: "", answer: 42 }]);
    expect(events).toEqual(["query", "closed"]);
    const error = await rejection(closing.query("select 1", []));
    expect(error).toMatchObject({ name: "SourceQueryError", code: "CLOSED" });
  });

  it("fails to open on a refused connection without naming the DSN or password", async () => {
    const port = await freePort();
    const dsn = `postgres://someone:Sup3r-Secret@127.0.0.1:${port}/db`;
    const error = (await rejection(openPostgresEngine(dsn, PG_OPTIONS))) as SourceConnectionError;
    expect(error).toBeInstanceOf(SourceConnectionError);
    expect(error.message).toBe(`cannot connect to the data source: connection refused (127.0.0.1:${port})`);
    expect(error.code).toBe("ECONNREFUSED");
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toMatch(/Sup3r/);
  });

  it("fails to open with a wrong password without naming it", async () => {
    await requirePasswordFor(server, "guarded", "right-password");
    const dsn = server.url.replace("//hugr@", "//guarded:Wr0ng-Secret@");
    const error = (await rejection(openPostgresEngine(dsn, PG_OPTIONS))) as SourceConnectionError;
    expect(error).toBeInstanceOf(SourceConnectionError);
    expect(error.message).toBe(
      'cannot connect to the data source: password authentication failed for user "guarded"',
    );
    expect(error.code).toBe("28P01");
    expect(JSON.stringify({ ...error, stack: error.stack })).not.toMatch(/Wr0ng/);
    const right = await openPostgresEngine(
      server.url.replace("//hugr@", "//guarded:right-password@"),
      PG_OPTIONS,
    );
    expect(await right.query("select current_user as u", [])).toEqual([{ u: "guarded" }]);
    await right.close();
  });

  it("refuses a DSN that is not a URL without quoting it", async () => {
    const error = await rejection(openPostgresEngine("postgres://u:Sup3r-Secret@[bad/db", PG_OPTIONS));
    expect(error).toBeInstanceOf(SourceConnectionError);
    expect(String((error as Error).message)).not.toMatch(/Sup3r/);
  });
});

/** Makes `user` log in with scram-sha-256 over TCP (the harness trusts everyone) and reloads the server. */
async function requirePasswordFor(server: PostgresInstance, user: string, password: string): Promise<void> {
  const hba = join(server.dataDir, "data", "pg_hba.conf");
  const rules = await readFile(hba, "utf8");
  // The first matching line wins, so the rule goes before the harness's "trust" lines.
  await writeFile(hba, `host all ${user} 127.0.0.1/32 scram-sha-256\n${rules}`);
  const admin = postgres(server.url, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create role ${user} login password '${password}'`);
    await admin`select pg_reload_conf()`;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

describe("DuckDB engine", () => {
  let dir: string;
  let memory: SourceEngine;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hugr-duckdb-"));
    memory = await openDuckDbEngine(":memory:", { readOnly: false, threads: 2 });
    for (const statement of SETUP) await memory.query(statement, []);
  });

  afterAll(async () => {
    await memory?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  sharedBehaviour(() => memory);

  it("reports DuckDB's error class as the code", async () => {
    const error = await rejection(memory.query("select * from no_such_table", []));
    expect(error).toMatchObject({ engine: "duckdb", code: "CATALOG" });
  });

  it("returns timestamptz in UTC and JSON columns as text for parseJson", async () => {
    const [row] = await memory.query(
      "select timestamptz '2024-01-02 03:04:05.5+02' as tz, json_object('a', [1, 2]) as j, '\"text\"'::JSON as s",
      [],
    );
    expect(row).toEqual({ tz: "2024-01-02T01:04:05.5Z", j: '{"a":[1,2]}', s: '"text"' });
    expect(memory.dialect.parseJson(row?.s)).toBe("text");
  });

  it("binds lists, empty lists and bigints", async () => {
    const query = "select id from orders where id = any($1) order by id";
    expect(await memory.query(query, [[2, 9007199254740993n]])).toEqual([
      { id: 2 },
      { id: "9007199254740993" },
    ]);
    expect(await memory.query(query, [[]])).toEqual([]);
  });

  it("opens a database file read-only: reads work, writes fail with a SourceQueryError", async () => {
    const file = join(dir, "shop.duckdb");
    const writer = await DuckDBInstance.create(file);
    const connection = await writer.connect();
    await connection.run("create table products (id integer, name varchar)");
    await connection.run("insert into products values (1, 'pen'), (2, 'ink')");
    connection.closeSync();
    writer.closeSync();

    const engine = await openDuckDbEngine(file, { readOnly: true });
    try {
      expect(engine.writable).toBe(false);
      expect(await engine.query("select name from products where id = $1", [2])).toEqual([{ name: "ink" }]);
      const error = await rejection(engine.query("insert into products values (3, 'cap')", []));
      expect(error).toBeInstanceOf(SourceQueryError);
      expect(error).toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/read-only/) });
    } finally {
      await engine.close();
    }
  });

  it("fails to open a missing file, naming it", async () => {
    const file = join(dir, "missing.duckdb");
    const error = await rejection(openDuckDbEngine(file, { readOnly: true }));
    expect(error).toBeInstanceOf(SourceConnectionError);
    expect((error as Error).message).toBe(`the DuckDB database file ${file} does not exist`);
  });

  it("serves views over Parquet and CSV files from an in-memory database", async () => {
    const parquet = join(dir, "rates.parquet");
    const csv = join(dir, "names.csv");
    await memory.query(
      `copy (select i as id, i * 1.5 as rate from range(1, 4) t(i)) to '${parquet}' (format parquet)`,
      [],
    );
    await writeFile(csv, "id,name\n1,one\n2,two\n3,three\n");
    const engine = await openDuckDbEngine("", { readOnly: true });
    try {
      expect(engine.writable).toBe(false);
      const d = engine.dialect;
      const row = d.jsonObject([
        ["id", "r.id"],
        ["rate", "r.rate"],
        ["name", "n.name"],
      ]);
      const sql =
        `select ${d.jsonArrayAgg(row, "r.id DESC")} as j from read_parquet('${parquet}') r ` +
        `join read_csv_auto('${csv}') n on n.id = r.id where r.id >= $1`;
      const [result] = await engine.query(sql, [2]);
      expect(d.parseJson(result?.j)).toEqual([
        { id: 3, rate: 4.5, name: "three" },
        { id: 2, rate: 3, name: "two" },
      ]);
    } finally {
      await engine.close();
    }
  });

  it("reads s3:// URLs rewritten to local copies", async () => {
    const local = join(dir, "it's.csv");
    await writeFile(local, "x\n7\n");
    const sql = await rewriteObjectUrls(
      "select x from read_csv_auto('s3://bucket/data.csv')",
      async () => local,
    );
    expect(await memory.query(sql, [])).toEqual([{ x: 7 }]);
  });

  it("answers 20 parallel queries, each with its own parameters", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        memory.query("select $1::integer as n, count(*) as c from range($1::integer * 1000)", [i]),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => [{ n: i, c: i * 1000 }]));
  });

  it("lets a running statement finish on close, then refuses new ones", async () => {
    const engine = await openDuckDbEngine("", { readOnly: false, threads: 1 });
    const events: string[] = [];
    const running = engine
      .query("select count(*) as c from range(100000000) t(x) where x % 7 = 0", [])
      .then((rows) => {
        events.push("query");
        return rows;
      });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await engine.close();
    events.push("closed");
    expect(await running).toEqual([{ c: 14285715 }]);
    expect(events).toEqual(["query", "closed"]);
    const error = await rejection(engine.query("select 1", []));
    expect(error).toMatchObject({ name: "SourceQueryError", code: "CLOSED" });
  });
});
