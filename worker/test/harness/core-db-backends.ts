/**
 * Test harness: the core database back ends a suite runs on, each giving a fresh CORE_DB_PATH: a
 * private PostgreSQL server (harness/postgres.ts), an embedded PGlite folder and a DuckDB file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, type PostgresInstance } from "./postgres.js";

export interface CoreDbBackend {
  name: "postgres" | "pglite" | "duckdb";
  /** Starts the back end; returns CORE_DB_PATH of a fresh core database. */
  setup(): Promise<string>;
  teardown(): Promise<void>;
}

/** Every back end, each holding its own server, folder or file between setup and teardown. */
export function coreDbBackends(): CoreDbBackend[] {
  let pg: PostgresInstance | undefined;
  let pgliteDir: string | undefined;
  let duckDbDir: string | undefined;
  return [
    {
      name: "postgres",
      setup: async () => {
        pg = await startPostgres();
        return pg.url;
      },
      teardown: async () => pg?.stop(),
    },
    {
      name: "pglite",
      setup: async () => {
        pgliteDir = await mkdtemp(join(tmpdir(), "hugr-pglite-"));
        return join(pgliteDir, "core-db");
      },
      teardown: async () => {
        if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
      },
    },
    {
      name: "duckdb",
      setup: async () => {
        duckDbDir = await mkdtemp(join(tmpdir(), "hugr-duckdb-"));
        return join(duckDbDir, "core.duckdb");
      },
      teardown: async () => {
        if (duckDbDir) await rm(duckDbDir, { recursive: true, force: true });
      },
    },
  ];
}
