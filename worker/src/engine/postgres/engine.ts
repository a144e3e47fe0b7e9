import postgres from "postgres";
import type { Querier, Row, SourceEngine } from "../engine.js";
import { SourceConnectionError } from "../errors.js";
import { postgresDialect } from "./dialect.js";
import { connectionError, queryError } from "./errors.js";
import { postgresTypes } from "./values.js";

export interface PostgresEngineOptions {
  /** Pool size: connections, hence statements running at once. */
  maxConnections: number;
  /** The server cancels statements running longer (SQLSTATE 57014); 0 means no limit. */
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** Idle connections are closed after this long; 0 keeps them. */
  idleTimeoutMs: number;
  /** Shown in pg_stat_activity; default "hugr-worker". */
  applicationName?: string;
}

/** How long close() waits for running statements when they have no timeout. */
const UNBOUNDED_CLOSE_WAIT_MS = 30_000;

/**
 * Opens a pool on a PostgreSQL data source and checks it with `select 1`. Errors (on open and from
 * statements) never carry the DSN: see ./errors.ts. Sessions run with the given statement_timeout and
 * TimeZone UTC, so timestamptz values come back in UTC on every node whatever the server's default.
 */
export async function openPostgresEngine(dsn: string, options: PostgresEngineOptions): Promise<SourceEngine> {
  const sql = createPool(dsn, options);
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw connectionError(error, dsn);
  }
  const closeWaitMs =
    options.statementTimeoutMs > 0 ? options.statementTimeoutMs + 1_000 : UNBOUNDED_CLOSE_WAIT_MS;
  const root = querier(sql, dsn);
  return {
    dialect: postgresDialect,
    writable: true,
    query: (text, params) => root.query(text, params),
    async transaction<T>(work: (tx: Querier) => Promise<T>): Promise<T> {
      let workFailed = false;
      try {
        const result = await sql.begin((tx) =>
          work(querier(tx, dsn)).catch((error: unknown) => {
            workFailed = true;
            throw error;
          }),
        );
        return result as T;
      } catch (error) {
        // The work's own error passes through as it is; BEGIN or COMMIT failing is the driver's.
        throw workFailed ? error : queryError(error, dsn);
      }
    },
    async close(): Promise<void> {
      // Running statements finish; after the wait, connections still busy are terminated.
      await sql.end({ timeout: closeWaitMs / 1000 });
    },
  };
}

function createPool(dsn: string, options: PostgresEngineOptions): postgres.Sql {
  try {
    return postgres(dsn, {
      max: options.maxConnections,
      prepare: true,
      connect_timeout: options.connectTimeoutMs / 1000,
      idle_timeout: options.idleTimeoutMs > 0 ? options.idleTimeoutMs / 1000 : undefined,
      connection: {
        application_name: options.applicationName ?? "hugr-worker",
        statement_timeout: options.statementTimeoutMs,
        TimeZone: "UTC",
      },
      types: postgresTypes,
      // A JS undefined (an absent optional argument) binds as NULL instead of failing the statement.
      transform: { undefined: null },
      onnotice: () => undefined,
    });
  } catch {
    // The driver's URL parse error carries the DSN in its `input` property: drop it.
    throw new SourceConnectionError(
      "postgres",
      "cannot connect to the data source: the DSN is not a valid URL",
    );
  }
}

function querier(runner: postgres.Sql | postgres.TransactionSql, dsn: string): Querier {
  return {
    async query(text: string, params: readonly unknown[]): Promise<Row[]> {
      try {
        // The driver types parameters as its own union; it serializes whatever the server asks for.
        return await runner.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
      } catch (error) {
        throw queryError(error, dsn);
      }
    },
  };
}
