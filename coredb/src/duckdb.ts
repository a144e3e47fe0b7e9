import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { DuckDBInstance, ResultReturnType, type DuckDBConnection } from "@duckdb/node-api";
import { rowObjects, toDuckDbParams } from "./duckdb-values.js";
import type { CoreDb, SqlExecutor } from "./types.js";

export interface DuckDbCoreOptions {
  /** The database file (CORE_DB_PATH). */
  path: string;
  /** Opened with DuckDB's access_mode READ_ONLY: nothing can write, and other readers may share it. */
  readOnly: boolean;
}

/**
 * hugr's other core database: a DuckDB file. DuckDB lets one process at a time open a file for
 * writing (and then no other process may read it), or any number of processes read-only: a file
 * written by one node (or by `hugr-worker core-db export`) is served read-only by a cluster.
 *
 * Two connections: one runs standalone statements, the other transactions. A DuckDB connection runs
 * one statement at a time and holds at most one transaction, so each connection has a queue, and
 * transactions wait for each other. A transaction must therefore never open another (it would wait
 * for itself); statements through the database rather than the transaction run beside it.
 */
export async function openDuckDbCore(options: DuckDbCoreOptions): Promise<CoreDb> {
  await checkPath(options);
  const instance = await createInstance(options);
  let connections: DuckDBConnection[] = [];
  try {
    connections = [await instance.connect(), await instance.connect()];
  } catch (error) {
    for (const connection of connections) connection.closeSync();
    instance.closeSync();
    throw error;
  }
  const [standalone, transactional] = connections as [DuckDBConnection, DuckDBConnection];
  let closed = false;
  const statements = executor(standalone, () => closed);
  const tx = executor(transactional, () => closed);
  const transactions = serial();

  return {
    kind: "duckdb",
    readOnly: options.readOnly,
    query: statements.query,
    transaction: <T>(fn: (executor: SqlExecutor) => Promise<T>): Promise<T> =>
      transactions(async () => {
        await tx.query("BEGIN TRANSACTION");
        try {
          const result = await fn(tx);
          await tx.query("COMMIT");
          return result;
        } catch (error) {
          // DuckDB has already rolled back a transaction whose COMMIT failed; nothing to undo then.
          await tx.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }),
    async ping(): Promise<void> {
      await statements.query("SELECT 1");
    },
    // DuckDB has no notifications, and needs none: a writable file has one writer process (this
    // one, whose writes invalidate its own caches), and the file read-only nodes see never changes
    // while they have it open. So the subscription starts once and never reports anything.
    listen(_channel, _onNotify, onListen) {
      onListen?.();
      return Promise.resolve(() => Promise.resolve());
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // The statements already queued finish first; only then do the connections go.
      await Promise.all([statements.drain(), tx.drain(), transactions(() => Promise.resolve())]);
      standalone.closeSync();
      transactional.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Refuses what DuckDB would report obscurely, or, for a read-only node, create: a folder, and a
 * missing file (a read-only node serves a prepared file; it never starts an empty one). A new
 * writable file gets its folder, as the embedded default in a data folder not made yet needs.
 */
async function checkPath(options: DuckDbCoreOptions): Promise<void> {
  const found = await stat(options.path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw openError(options.path, `cannot be read (${error.code ?? error.message})`, error);
  });
  if (found?.isDirectory()) {
    throw openError(options.path, "is a folder; a DuckDB core database is a file such as /data/core.duckdb");
  }
  if (found === undefined && options.readOnly) {
    throw openError(
      options.path,
      "does not exist; a read-only node (CORE_DB_READONLY=true) serves a prepared file: " +
        "create it with `hugr-worker core-db export --to <file.duckdb>`",
    );
  }
  if (found === undefined) {
    await mkdir(dirname(options.path), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw openError(options.path, `cannot get its folder (${error.code ?? error.message})`, error);
    });
  }
}

async function createInstance(options: DuckDbCoreOptions): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(options.path, options.readOnly ? { access_mode: "READ_ONLY" } : {});
  } catch (error) {
    throw openError(options.path, explainOpenFailure(error, options.readOnly), error);
  }
}

/** DuckDB's reasons for refusing a file, said in terms of this node's settings. */
function explainOpenFailure(error: unknown, readOnly: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const holder = /\(PID (\d+)\)/u.exec(message)?.[1];
  const other = holder === undefined ? "another process" : `another process (PID ${holder})`;
  if (message.includes("Could not set lock on file")) {
    return readOnly
      ? `is held open for writing by ${other}: DuckDB allows one writer process per file and no ` +
          "reader beside it; stop the writer, or give the nodes a copy of the file"
      : `is open in ${other}: DuckDB allows one writer process per file, and no reader beside it; ` +
          "a cluster opens a prepared file read-only on every node (CORE_DB_READONLY=true)";
  }
  if (message.includes("not a valid DuckDB database file")) return "is not a DuckDB database file";
  if (message.includes("No such file or directory")) return "is in a folder that does not exist";
  return `cannot be opened by DuckDB: ${message}`;
}

function openError(path: string, problem: string, cause?: unknown): Error {
  return new Error(`CORE_DB_PATH: the DuckDB core database ${path} ${problem}`, { cause });
}

interface QueuedExecutor extends SqlExecutor {
  /** Resolves once every statement queued so far has finished. */
  drain(): Promise<void>;
}

/** Runs statements on `connection` one at a time, in the order they were asked for. */
function executor(connection: DuckDBConnection, isClosed: () => boolean): QueuedExecutor {
  const queue = serial();
  return {
    query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      if (isClosed()) return Promise.reject(new Error("the core database (duckdb) is closed"));
      return queue(async () => {
        const bound = params.length > 0 ? toDuckDbParams(params) : undefined;
        const result = await connection.run(text, bound?.values, bound?.types);
        // INSERT, UPDATE and DELETE without RETURNING answer a row count, not rows (as in PostgreSQL).
        if (result.returnType !== ResultReturnType.QUERY_RESULT) return [];
        return (await rowObjects(result)) as T[];
      });
    },
    drain: () => queue(() => Promise.resolve()),
  };
}

/** A queue: each task starts when the previous one has settled. */
function serial(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
