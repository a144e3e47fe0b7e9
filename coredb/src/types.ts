/** Anything that runs parameterised SQL: the database itself or an open transaction. */
export interface SqlExecutor {
  /** Runs one statement with `$n` placeholders bound to `params`; returns the rows. */
  query: <T extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ) => Promise<T[]>;
}

/**
 * The core database: PostgreSQL in production, PGlite embedded (both speak PostgreSQL SQL), or a
 * DuckDB file (hugr's other core database: DuckDB SQL, one writer process per file).
 */
export interface CoreDb extends SqlExecutor {
  readonly kind: "postgres" | "pglite" | "duckdb";
  /** CORE_DB_READONLY: no migrations run and every write is refused before it reaches the database. */
  readonly readOnly: boolean;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Subscribes to notifications on `channel` (PostgreSQL LISTEN). `onListen` runs each time the
   * subscription starts, first and after a reconnect, when notifications may have been missed.
   * Resolves with the function that unsubscribes.
   */
  listen(channel: string, onNotify: () => void, onListen?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The slice of a pino logger the core database needs. */
export interface CoreDbLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}
