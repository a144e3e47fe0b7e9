/**
 * The DuckDB core database with real processes: a file held by another process, the built
 * `hugr-worker core-db export` command from PostgreSQL and from an embedded PGlite folder, and
 * work nodes serving the exported file read-only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORTED_TABLES, openCoreDb, type CoreDb, type CoreDbConfig } from "@hugr/coredb";
import { freePort, graphql, runToExit, startWorker } from "../../e2e/harness/processes.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";

const REPOSITORY = fileURLToPath(new URL("../..", import.meta.url));
const WORKER_MAIN = join(REPOSITORY, "worker", "dist", "main.js");
const silent = { info: () => undefined, warn: () => undefined };
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "hugr-duckdb-processes-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function openAndClose(config: CoreDbConfig, fill?: (db: CoreDb) => Promise<void>): Promise<void> {
  const db = await openCoreDb(config, { logger: silent });
  try {
    await fill?.(db);
  } finally {
    await db.close();
  }
}

/** Another process holding `path` open in DuckDB, writable or read-only, until `release()`. */
async function holdOpen(path: string, readOnly: boolean): Promise<{ pid: number; release(): Promise<void> }> {
  const script = `
    const { DuckDBInstance } = require("@duckdb/node-api");
    DuckDBInstance.create(process.argv[1], JSON.parse(process.argv[2])).then(
      (instance) => {
        process.stdout.write("open\\n");
        process.stdin.on("end", () => { instance.closeSync(); process.exit(0); });
        process.stdin.resume();
      },
      (error) => { process.stderr.write(error.message); process.exit(1); },
    );`;
  const options = JSON.stringify(readOnly ? { access_mode: "READ_ONLY" } : {});
  const child = spawn(process.execPath, ["-e", script, path, options], { cwd: REPOSITORY, stdio: "pipe" });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  expect(chunk.toString()).toBe("open\n");
  return {
    pid: child.pid!,
    release: async () => {
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}

/** Runs the built `hugr-worker` with `args` and `env` until it exits. */
async function runWorkerCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, [WORKER_MAIN, ...args], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    cwd: folder,
    stdio: "pipe",
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

const listing = async (): Promise<string[]> => (await readdir(folder)).sort();

describe("a DuckDB file held by another process", () => {
  it("is refused writable and read-only while another process writes it, and left as it was", async () => {
    const path = join(folder, "held.duckdb");
    await openAndClose({ kind: "duckdb", path, readOnly: false });
    const before = await readFile(path);
    const writer = await holdOpen(path, false);
    try {
      const refusal = (readOnly: boolean): Promise<string> =>
        openCoreDb({ kind: "duckdb", path, readOnly }, { logger: silent }).then(
          () => "opened",
          (error: Error) => error.message,
        );
      expect(await refusal(false)).toBe(
        `CORE_DB_PATH: the DuckDB core database ${path} is open in another process (PID ${writer.pid}): ` +
          "DuckDB allows one writer process per file, and no reader beside it; a cluster opens a prepared " +
          "file read-only on every node (CORE_DB_READONLY=true)",
      );
      expect(await refusal(true)).toBe(
        `CORE_DB_PATH: the DuckDB core database ${path} is held open for writing by another process ` +
          `(PID ${writer.pid}): DuckDB allows one writer process per file and no reader beside it; stop ` +
          "the writer, or give the nodes a copy of the file",
      );
    } finally {
      await writer.release();
    }
    expect((await readFile(path)).equals(before)).toBe(true);
    await openAndClose({ kind: "duckdb", path, readOnly: false });
  });

  it("is shared by readers, and refused to a writer while they read", async () => {
    const path = join(folder, "read.duckdb");
    await openAndClose({ kind: "duckdb", path, readOnly: false });
    const reader = await holdOpen(path, true);
    try {
      await openAndClose({ kind: "duckdb", path, readOnly: true }, async (db) => {
        expect(await db.query("SELECT count(*) AS n FROM roles")).toEqual([{ n: 3 }]);
      });
      await expect(openCoreDb({ kind: "duckdb", path, readOnly: false }, { logger: silent })).rejects.toThrow(
        `is open in another process (PID ${reader.pid})`,
      );
    } finally {
      await reader.release();
    }
  });
});

describe("nodes of a cluster on a DuckDB file", () => {
  const cluster = {
    CLUSTER_SECRET: "cluster-secret-of-the-test",
    CLUSTER_MANAGEMENT_URL: "http://127.0.0.1:1",
    CLUSTER_NODE_NAME: "w1",
    CLUSTER_NODE_URL: "http://127.0.0.1:2",
  };

  it.each([
    ["a work node in cluster mode", "worker", cluster, "a work node in cluster mode"],
    ["the management node", "management", { CLUSTER_SECRET: cluster.CLUSTER_SECRET }, "the management node"],
  ] as const)("%s refuses to start writable, naming CORE_DB_READONLY", async (_case, program, env, who) => {
    const { code, output } = await runToExit(program, {
      ...env,
      CORE_DB_PATH: join(folder, "cluster.duckdb"),
    });
    expect(code).toBe(2);
    expect(output).toContain(`invalid configuration: CORE_DB_READONLY: must be true for ${who}`);
    expect(output).toContain("DuckDB allows one writer process per file");
    expect(await listing()).not.toContain("cluster.duckdb");
  });
});

describe("hugr-worker core-db export", () => {
  let pg: PostgresInstance;
  let pgUrl: string;

  beforeAll(async () => {
    pg = await startPostgres();
    pgUrl = await pg.createDatabase("export_source");
    await openAndClose({ kind: "postgres", url: pgUrl, readOnly: false }, async (db) => {
      await db.query(
        `INSERT INTO data_sources (name, type, path, as_module)
         VALUES ('analytics', 'postgres', 'postgres://u:pw@db/analytics', true), ('files', 'duckdb', '/f.duckdb', false)`,
      );
      await db.query("INSERT INTO catalog_sources (name, type, path) VALUES ('an', 'uri', '/schemas/an')");
      await db.query("INSERT INTO data_source_catalogs VALUES ('analytics', 'an')");
      await db.query(
        "INSERT INTO api_keys (name, key, default_role, headers) VALUES ('ci', 'k-1', 'readonly', $1)",
        [{ role: "x-hugr-role" }],
      );
      await db.query("INSERT INTO cluster_nodes (name, url, version) VALUES ('w1', 'http://w1:15000', '1')");
    });
  });
  afterAll(async () => pg?.stop());

  const counts = async (config: CoreDbConfig): Promise<Record<string, number>> => {
    const result: Record<string, number> = {};
    await openAndClose(config, async (db) => {
      for (const table of [...EXPORTED_TABLES, "cluster_nodes"]) {
        const [row] = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`);
        result[table] = Number(row?.n);
      }
    });
    return result;
  };

  it("copies a PostgreSQL core database into a DuckDB file, table by table, and work nodes serve it", async () => {
    const to = join(folder, "from-postgres.duckdb");
    const { code, stderr } = await runWorkerCommand(["core-db", "export", "--to", to], {
      CORE_DB_PATH: pgUrl,
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`exporting the postgres core database to ${to}`);
    expect(stderr).toContain("  data_sources: 2 rows\n");
    expect(stderr).toContain("  data_source_catalogs: 1 row\n");
    expect(stderr).toContain("  roles: 3 rows\n");
    expect(stderr).not.toContain("pw@");

    const source = await counts({ kind: "postgres", url: pgUrl, readOnly: true });
    expect(await counts({ kind: "duckdb", path: to, readOnly: true })).toEqual({
      ...source,
      cluster_nodes: 0,
    });

    // Two nodes share the file read-only, as a cluster's nodes do.
    const env = { CORE_DB_PATH: to, CORE_DB_READONLY: "true", LOG_LEVEL: "warn" };
    const nodes = [await startWorker("a", { env }), await startWorker("b", { env })];
    try {
      for (const node of nodes) {
        const { body } = await graphql(node.url, "{ core { data_sources { name catalogs { name } } } }");
        expect(body.data).toEqual({
          core: {
            data_sources: [
              { name: "analytics", catalogs: [{ name: "an" }] },
              { name: "files", catalogs: [] },
            ],
          },
        });
      }
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  it("copies an embedded PGlite folder", async () => {
    const dir = join(folder, "pglite");
    await openAndClose({ kind: "pglite", dir, readOnly: false }, async (db) => {
      await db.query("INSERT INTO roles (name) VALUES ('ops')");
    });
    const to = join(folder, "from-pglite.duckdb");
    const { code, stderr } = await runWorkerCommand(["core-db", "export", "--to", "from-pglite.duckdb"], {
      CORE_DB_PATH: dir,
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("  roles: 4 rows\n");
    expect(await counts({ kind: "duckdb", path: to, readOnly: true })).toEqual(
      await counts({ kind: "pglite", dir, readOnly: true }),
    );
  });

  it("refuses an existing target, naming it, and leaves it as it was", async () => {
    const to = join(folder, "from-postgres.duckdb");
    const before = await readFile(to);
    const { code, stderr } = await runWorkerCommand(["core-db", "export", "--to", to], {
      CORE_DB_PATH: pgUrl,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`export failed: ${to} already exists: an export never replaces a file`);
    expect((await readFile(to)).equals(before)).toBe(true);
  });

  it("leaves nothing behind when the source is unreachable", async () => {
    const before = await listing();
    const unreachable = `postgres://hugr:secret-pw@127.0.0.1:${await freePort()}/hugr_core`;
    const { code, stderr } = await runWorkerCommand(["core-db", "export", "--to", "never.duckdb"], {
      CORE_DB_PATH: unreachable,
    });
    expect(code).toBe(1);
    expect(stderr).toContain("export failed: the core database (postgres) is not reachable");
    expect(stderr).not.toContain("secret-pw");
    expect(await listing()).toEqual(before);
  }, 30_000);

  it("explains its usage: --help, a missing --to, an unknown option", async () => {
    const help = await runWorkerCommand(["core-db", "export", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: hugr-worker core-db export --to <file.duckdb>");
    const missing = await runWorkerCommand(["core-db", "export"], {});
    expect([missing.code, missing.stderr]).toEqual([
      2,
      "hugr-worker core-db: --to <file.duckdb> is required\n" +
        "Usage: hugr-worker core-db export --to <file.duckdb>\nMore: hugr-worker core-db --help\n",
    ]);
    const unknown = await runWorkerCommand(["core-db", "import"], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "import"');
  });
});
