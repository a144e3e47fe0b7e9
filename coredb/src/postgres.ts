import postgres from "postgres";
import type { CoreDb, SqlExecutor } from "./types.js";

export interface PostgresOptions {
  url: string;
  readOnly: boolean;
  /** Pool size; default 10. */
  maxConnections?: number;
}

/**
 * The production back end: a pooled connection to a shared PostgreSQL. In read-only mode every
 * session is also read-only on the server side, as a second line behind the repository checks.
 */
export function openPostgres(options: PostgresOptions): CoreDb {
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    prepare: true,
    onnotice: () => undefined,
    connection: {
      application_name: "hugr-worker",
      ...(options.readOnly ? { default_transaction_read_only: true } : {}),
    },
  });
  const executor = (runner: postgres.Sql | postgres.TransactionSql): SqlExecutor => ({
    async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const rows = await runner.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
      return rows as unknown as T[];
    },
  });
  const root = executor(sql);
  return {
    kind: "postgres",
    readOnly: options.readOnly,
    query: root.query,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      return (await sql.begin((tx) => fn(executor(tx)))) as T;
    },
    async ping(): Promise<void> {
      await sql`select 1`;
    },
    async listen(channel, onNotify, onListen) {
      // postgres.js keeps a dedicated connection for LISTEN and re-subscribes after reconnects.
      const subscription = await sql.listen(channel, () => onNotify(), onListen);
      return () => subscription.unlisten();
    },
    async close(): Promise<void> {
      await sql.end({ timeout: 5 });
    },
  };
}
