import { access } from "node:fs/promises";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Querier, Row, SourceEngine } from "../engine.js";
import { SourceConnectionError, SourceQueryError } from "../errors.js";
import { duckDbDialect } from "./dialect.js";
import { toDuckDbParams, toJsonValue } from "./values.js";

export interface DuckDbEngineOptions {
  /** Open a database file READ_ONLY and report `writable: false`. */
  readOnly: boolean;
  /** DuckDB's `threads` setting; default: DuckDB's (the number of cores). */
  threads?: number;
  /** DuckDB's `memory_limit`, e.g. "1GB"; default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** Connections, hence statements running at once; default 4. */
  maxConnections?: number;
}

const DEFAULT_CONNECTIONS = 4;

/**
 * Opens a DuckDB database: a file, or an in-memory database when `path` is "" or ":memory:" (for
 * sources that are only views over Parquet, CSV or JSON files). A read-only file must exist; a
 * read-write one is created by DuckDB when missing. An in-memory database cannot be opened READ_ONLY,
 * so there `readOnly` only sets `writable`.
 */
export async function openDuckDbEngine(path: string, options: DuckDbEngineOptions): Promise<SourceEngine> {
  const inMemory = path === "" || path === ":memory:";
  if (!inMemory && options.readOnly) await assertFileExists(path);
  const config: Record<string, string> = {};
  if (!inMemory && options.readOnly) config.access_mode = "READ_ONLY";
  if (options.threads !== undefined) config.threads = String(options.threads);
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(inMemory ? ":memory:" : path, config);
  } catch (error) {
    const where = inMemory ? "an in-memory DuckDB database" : `the DuckDB database ${path}`;
    throw new SourceConnectionError("duckdb", `cannot open ${where}: ${messageOf(error)}`, errorClass(error));
  }
  const pool = createPool(instance, options.maxConnections ?? DEFAULT_CONNECTIONS);
  return {
    dialect: duckDbDialect,
    writable: !options.readOnly,
    query: (sql, params) => pool.run((connection) => runStatement(connection, sql, params)),
    transaction: (work) => pool.run((connection) => inTransaction(connection, work)),
    close: () => pool.close(),
  };
}

async function assertFileExists(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new SourceConnectionError("duckdb", `the DuckDB database file ${path} does not exist`, "NOT_FOUND");
  }
}

async function runStatement(
  connection: DuckDBConnection,
  sql: string,
  params: readonly unknown[],
): Promise<Row[]> {
  try {
    const { values, types } = toDuckDbParams(params);
    const reader = await connection.runAndReadAll(sql, values, types);
    return reader.convertRowObjects(toJsonValue);
  } catch (error) {
    throw queryError(error);
  }
}

async function inTransaction<T>(connection: DuckDBConnection, work: (tx: Querier) => Promise<T>): Promise<T> {
  await runStatement(connection, "BEGIN TRANSACTION", []);
  let result: T;
  try {
    result = await work({ query: (sql, params) => runStatement(connection, sql, params) });
  } catch (error) {
    await runStatement(connection, "ROLLBACK", []).catch(() => undefined); // the work's error matters
    throw error;
  }
  await runStatement(connection, "COMMIT", []);
  return result;
}

/** DuckDB prefixes messages with their class: "Catalog Error: Table with name x does not exist!". */
function errorClass(error: unknown): string | undefined {
  const match = /^([A-Za-z ]+?) Error: /.exec(messageOf(error));
  return match?.[1]?.toUpperCase().replaceAll(" ", "_");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function queryError(error: unknown): SourceQueryError {
  return new SourceQueryError("duckdb", messageOf(error), { code: errorClass(error) });
}

interface ConnectionPool {
  /** Runs `work` on a connection of its own, waiting for one when all are busy. */
  run<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Refuses new work, waits for the work already submitted, then closes the database. */
  close(): Promise<void>;
}

/**
 * A DuckDB connection runs one statement at a time, so concurrent requests each take a connection
 * (created on first need, up to `size`) or wait in line for one.
 */
function createPool(instance: DuckDBInstance, size: number): ConnectionPool {
  const idle: DuckDBConnection[] = [];
  const waiting: ((connection: DuckDBConnection) => void)[] = [];
  let created = 0;
  let pending = 0;
  let drained: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  async function acquire(): Promise<DuckDBConnection> {
    const connection = idle.pop();
    if (connection) return connection;
    if (created >= size) return new Promise((resolve) => waiting.push(resolve));
    created += 1;
    try {
      return await instance.connect();
    } catch (error) {
      created -= 1;
      throw queryError(error);
    }
  }

  function release(connection: DuckDBConnection): void {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  }

  async function run<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closing) throw new SourceQueryError("duckdb", "the data source is closed", { code: "CLOSED" });
    pending += 1;
    try {
      const connection = await acquire();
      try {
        return await work(connection);
      } finally {
        release(connection);
      }
    } finally {
      pending -= 1;
      if (pending === 0) drained?.();
    }
  }

  async function shutDown(): Promise<void> {
    if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
    for (const connection of idle) connection.closeSync();
    instance.closeSync();
  }

  return {
    run,
    close: () => (closing ??= shutDown()),
  };
}
