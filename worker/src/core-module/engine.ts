import {
  CoreDbError,
  readOnlyError,
  sqlState,
  SQLSTATE_INVALID_REGULAR_EXPRESSION,
  type CoreDb,
  type ReadThrough,
} from "@hugr/coredb";
import { duckDbDialect } from "../engine/duckdb/index.js";
import { FilterError, type SourceEngine } from "../engine/index.js";
import { postgresDialect } from "../engine/postgres/index.js";

/**
 * The node's core database as the query engine sees it. Reads are answered from the node's
 * short-lived core read cache when it has one (every write through any node invalidates it on
 * every node); writes run in the core database's transactions, which announce the change. A
 * read-only core database refuses every write before it begins.
 */
export function createCoreEngine(db: CoreDb & Partial<ReadThrough>): SourceEngine {
  const read = db.cachedQuery ?? db.query;
  return {
    dialect: db.kind === "duckdb" ? duckDbDialect : postgresDialect,
    writable: !db.readOnly,
    query: (sql, params) => filtered(read(sql, params)),
    transaction(work) {
      if (db.readOnly) return Promise.reject(readOnlyError());
      return db.transaction((tx) => work({ query: (sql, params) => filtered(tx.query(sql, params)) }));
    },
    // The node closes its core database itself, after the engine's last request.
    close: () => Promise.resolve(),
  };
}

/**
 * The database's refusals of a user's input, as the errors users see: a regular expression it cannot
 * compile, a duplicate key, a missing referenced row. Their messages name tables, columns and
 * constraints, never a connection string. Anything else stays unexpected (logged and masked).
 */
async function filtered<T>(statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    const message = (error as Error).message;
    const state = sqlState(error);
    if (state === SQLSTATE_INVALID_REGULAR_EXPRESSION) {
      throw new FilterError(`invalid regular expression in filter: ${message}`);
    }
    // PostgreSQL's integrity violations (class 23); DuckDB has no SQLSTATE, only its error kind.
    if (state === "23505" || /^Constraint Error: Duplicate key/u.test(message))
      throw new CoreDbError("ALREADY_EXISTS", message);
    if (state?.startsWith("23") || message.startsWith("Constraint Error:"))
      throw new CoreDbError("INVALID_INPUT", message);
    throw error;
  }
}
