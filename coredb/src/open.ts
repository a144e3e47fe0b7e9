import { rm, stat } from "node:fs/promises";
import type { CoreDbConfig } from "@hugr/common";
import pRetry from "p-retry";
import { currentVersion, LATEST_VERSION, migrate } from "./migrations.js";
import type { CoreDb, CoreDbLogger } from "./types.js";

export interface OpenCoreDbOptions {
  logger: CoreDbLogger;
  /** How long to wait for a PostgreSQL that is still starting (compose, Kubernetes); default 30 s. */
  connectTimeoutMs?: number;
}

/**
 * Opens the configured core database, waits until it answers, and brings its schema up to date
 * (read-only nodes only check that a schema exists: they never write). Each back end is imported
 * only when chosen: PGlite and DuckDB (a 30 MB native library) cost memory and start-up time that
 * a node on PostgreSQL never needs. A DuckDB file this call created is deleted when it fails.
 */
export async function openCoreDb(config: CoreDbConfig, options: OpenCoreDbOptions): Promise<CoreDb> {
  const created = config.kind === "duckdb" && !config.readOnly && !(await exists(config.path));
  const db = await openBackEnd(config);
  try {
    await waitUntilReachable(db, options);
    await prepareSchema(db, options.logger);
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    if (created) await removeDuckDbFile(config.path);
    throw error;
  }
}

async function openBackEnd(config: CoreDbConfig): Promise<CoreDb> {
  switch (config.kind) {
    case "postgres":
      return (await import("./postgres.js")).openPostgres({ url: config.url, readOnly: config.readOnly });
    case "pglite":
      return (await import("./pglite.js")).openPglite({ dir: config.dir, readOnly: config.readOnly });
    case "duckdb":
      return (await import("./duckdb.js")).openDuckDbCore({ path: config.path, readOnly: config.readOnly });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Deletes a DuckDB database file and its write-ahead log, which DuckDB keeps beside it. */
export async function removeDuckDbFile(path: string): Promise<void> {
  await Promise.all([rm(path, { force: true }), rm(`${path}.wal`, { force: true })]);
}

/** Backoff between pings: 500 ms, doubling, at most 5 s apart. */
const PING_BACKOFF = { minTimeout: 500, factor: 2, maxTimeout: 5_000 } as const;

/**
 * Pings until the database answers, within `connectTimeoutMs` (p-retry's maxRetryTime). A TypeError
 * is not retried (p-retry's rule): a ping that fails with one has a bug, not a database starting up.
 */
async function waitUntilReachable(db: CoreDb, options: OpenCoreDbOptions): Promise<void> {
  try {
    await pRetry(() => db.ping(), {
      ...PING_BACKOFF,
      retries: Infinity,
      maxRetryTime: options.connectTimeoutMs ?? 30_000,
      onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
        if (retryDelay === 0) return;
        // The driver's message may contain the host but never the password (postgres.js omits it).
        options.logger.warn(
          { attempt: attemptNumber, retryInMs: retryDelay, err: error.message },
          "core database not reachable yet, retrying",
        );
      },
    });
  } catch (error) {
    throw new Error(`the core database (${db.kind}) is not reachable`, { cause: error });
  }
}

async function prepareSchema(db: CoreDb, logger: CoreDbLogger): Promise<void> {
  if (db.readOnly) {
    const version = await currentVersion(db).catch((error: unknown) => {
      throw new Error(
        "CORE_DB_PATH: the read-only core database has no hugr schema (schema_version is missing)" +
          (db.kind === "duckdb"
            ? "; create the file with `hugr-worker core-db export --to <file.duckdb>`"
            : ""),
        { cause: error },
      );
    });
    logger.info({ schemaVersion: version, readOnly: true }, "core database opened read-only");
    return;
  }
  const report = await migrate(db);
  if (report.applied.length > 0) {
    logger.info({ from: report.from, to: report.to, applied: report.applied }, "core database migrated");
  }
  if (report.from > LATEST_VERSION) {
    logger.warn(
      { schemaVersion: report.from, known: LATEST_VERSION },
      "core database schema is newer than this node",
    );
  }
}
