import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import type { CoreDb, SqlExecutor } from "./types.js";

export interface PgliteOptions {
  /** Data folder; "memory://" keeps everything in memory (tests). */
  dir: string;
  readOnly: boolean;
}

/**
 * The embedded back end: PostgreSQL compiled to WASM, running in this process. One process owns
 * the folder, so it suits a single node; a cluster shares a real PostgreSQL instead.
 */
export async function openPglite(options: PgliteOptions): Promise<CoreDb> {
  if (!options.dir.startsWith("memory://")) await mkdir(options.dir, { recursive: true });
  const db = await PGlite.create(options.dir);
  const executor = (runner: Pick<PGlite, "query">): SqlExecutor => ({
    async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await runner.query<T>(text, params as unknown[]);
      return result.rows;
    },
  });
  const root = executor(db);
  return {
    kind: "pglite",
    readOnly: options.readOnly,
    query: root.query,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
      db.transaction((tx) => fn(executor(tx))),
    async ping(): Promise<void> {
      await db.query("select 1");
    },
    async listen(channel, onNotify, onListen) {
      const unlisten = await db.listen(channel, () => onNotify());
      onListen?.();
      return () => unlisten();
    },
    close: () => db.close(),
  };
}
