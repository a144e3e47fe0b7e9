/**
 * Test harness: the two core database back ends a suite runs on, each giving a fresh CORE_DB_PATH:
 * a private PostgreSQL server (harness/postgres.ts) and an embedded PGlite folder.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, type PostgresInstance } from "./postgres.js";

export interface CoreDbBackend {
  name: "postgres" | "pglite";
  /** Starts the back end; returns CORE_DB_PATH of a fresh core database. */
  setup(): Promise<string>;
  teardown(): Promise<void>;
}

/** Both back ends, each holding its own server or folder between setup and teardown. */
export function coreDbBackends(): CoreDbBackend[] {
  let pg: PostgresInstance | undefined;
  let pgliteDir: string | undefined;
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
  ];
}
