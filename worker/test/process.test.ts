import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { runToExit, startWorker } from "../../e2e/harness/processes.js";
import { graphql } from "./harness/worker.js";
import { ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES, LIST_DATA_SOURCES } from "./reference-queries.js";

/** The built `hugr-worker` program as an operator runs it: environment in, exit codes and JSON logs out. */
describe("configuration errors stop the program with exit code 2 and name the variable", () => {
  it.each([
    ["BIND", { BIND: "localhost" }],
    ["ADMIN_UI", { ADMIN_UI: "sometimes" }],
    ["CORE_DB_READONLY", { CORE_DB_READONLY: "maybe" }],
    ["CORE_DB_PATH", { CORE_DB_PATH: "s3://bucket/core.duckdb" }],
    ["CACHE_TTL", { CACHE_TTL: "5 minutes" }],
    ["CACHE_L2_ADDRESSES", { CACHE_L2_ENABLED: "true", CACHE_L2_BACKEND: "redis" }],
    [
      "CLUSTER_SECRET",
      {
        CLUSTER_MANAGEMENT_URL: "http://management:14000",
        CLUSTER_NODE_NAME: "w",
        CLUSTER_NODE_URL: "http://w:15000",
      },
    ],
  ])("%s", async (variable, env) => {
    const { code, output } = await runToExit("worker", env);
    expect(code).toBe(2);
    expect(output).toContain(`invalid configuration: ${variable}`);
  });

  it("never echoes a secret value", async () => {
    const { code, output } = await runToExit("worker", {
      CLUSTER_MANAGEMENT_URL: "not a url",
      CLUSTER_SECRET: "s3cr3t-value",
      CORE_DB_PATH: "postgres://hugr:hunter2@db:port/x",
    });
    expect(code).toBe(2);
    expect(output).not.toMatch(/s3cr3t-value|hunter2/);
  });
});

describe("a work node process on PostgreSQL", () => {
  let pg: PostgresInstance;
  let url: string;
  beforeAll(async () => {
    pg = await startPostgres();
    // A password in the DSN lets the tests check that it never reaches the logs.
    const admin = postgres(pg.url, { max: 1, onnotice: () => undefined });
    await admin`ALTER ROLE hugr PASSWORD 'pw-never-logged'`;
    await admin.end();
    url = pg.url.replace("hugr@", "hugr:pw-never-logged@");
  });
  afterAll(async () => pg?.stop());

  it("serves health, readiness, metrics and the AdminUI, and logs JSON without secrets", async () => {
    const node = await startWorker("worker", { env: { CORE_DB_PATH: url, SECRET_KEY: "key-never-logged" } });
    try {
      expect((await fetch(`${node.url}/health`)).status).toBe(200);
      expect(await (await fetch(`${node.url}/ready`)).json()).toEqual({ status: "ready" });
      const adminUI = await fetch(`${node.url}/admin`);
      expect(adminUI.status).toBe(200);
      expect(await adminUI.text()).toContain("Hugr AdminUI");
      const admin = { "x-hugr-secret-key": "key-never-logged" };
      expect(
        (await graphql(node.url, ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES, admin)).body.errors,
      ).toBeUndefined();
      await graphql(node.url, "{ core { nope } }", undefined, admin);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metrics).toMatch(/hugr_http_requests_total\{method="POST",route="\/graphql",status="200"\} 2/);
      expect(metrics).toMatch(
        /hugr_http_request_duration_seconds_bucket\{le="[\d.]+",method="GET",route="\/admin"\}/,
      );
      expect(metrics).toMatch(/hugr_graphql_errors_total\{code="GRAPHQL_VALIDATION_FAILED"\} 1/);
      expect(metrics).toMatch(/process_resident_memory_bytes \d+/);
      // With a secret key configured, an anonymous request is the public role's: no core module.
      const anonymous = await graphql(node.url, ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES);
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(await node.stop()).toBe(0);
      const lines = node.output().trim().split("\n");
      for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      expect(node.output()).not.toMatch(/pw-never-logged|key-never-logged/);
    } finally {
      await node.stop("SIGKILL");
    }
  });

  it("has no AdminUI when ADMIN_UI=false", async () => {
    const node = await startWorker("worker", { env: { CORE_DB_PATH: url, ADMIN_UI: "false" } });
    try {
      expect((await fetch(`${node.url}/admin`)).status).toBe(404);
      const graphiqlOnEndpoint = await fetch(`${node.url}/graphql`, { headers: { accept: "text/html" } });
      expect(await graphiqlOnEndpoint.text()).not.toContain("GraphiQL");
    } finally {
      await node.stop("SIGKILL");
    }
  });

  it("on SIGTERM stops being ready, finishes in-flight requests and exits 0", async () => {
    const node = await startWorker("worker", { env: { CORE_DB_PATH: url } });
    const blocker = postgres(pg.url, { max: 2, onnotice: () => undefined });
    try {
      // Hold a lock so that a GraphQL request is provably in flight when the signal arrives.
      const release = await holdTableLock(blocker, "data_sources");
      const inFlight = graphql(node.url, LIST_DATA_SOURCES);
      await waitForLockWaiter(blocker);
      const exited = node.stop("SIGTERM");
      await expect
        .poll(async () => (await fetch(`${node.url}/ready`).catch(() => null))?.status ?? "refused")
        .not.toBe(200);
      release();
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect(await exited).toBe(0);
      await expect(fetch(`${node.url}/health`)).rejects.toThrow();
    } finally {
      await blocker.end();
      await node.stop("SIGKILL");
    }
  });
});

/** Takes an exclusive lock on `table` in an open transaction; the returned function commits it. */
async function holdTableLock(sql: postgres.Sql, table: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  void sql.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    locked();
    await released;
  });
  await isLocked;
  return release;
}

/** Resolves once some other session waits for a lock (the worker's query). */
async function waitForLockWaiter(sql: postgres.Sql): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [row] = await sql`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`;
    if ((row?.["n"] as number) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no query waited for the lock");
}
