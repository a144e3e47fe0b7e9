/**
 * The connection to one data source's database, as the query layer sees it: run one parameterised
 * SQL statement, run several in a transaction, close. PostgreSQL and DuckDB implement it; the SQL
 * they are given is written for their {@link SqlDialect}.
 */
import type { ScalarName } from "./catalogs/index.js";
import type { Querier } from "./querier.js";

export type { Querier, Row } from "./querier.js";

export interface SourceEngine extends Querier {
  readonly dialect: SqlDialect;
  /** False for engines that cannot write (DuckDB sources are opened read-only). */
  readonly writable: boolean;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Querier) => Promise<T>): Promise<T>;
  /** Closes the pool (or database) after the statements already running end. */
  close(): Promise<void>;
}

/** The few SQL spellings that differ between the engines. Everything else is shared SQL. */
export interface SqlDialect {
  readonly name: "postgres" | "duckdb";
  /** A JSON object of `[key, expression]` pairs. */
  jsonObject(pairs: readonly (readonly [string, string])[]): string;
  /** Aggregates a JSON expression into a JSON array in the given order; an empty set gives `[]`. */
  jsonArrayAgg(expression: string, orderBy: string): string;
  /** Parses a JSON value a statement returned (PostgreSQL's driver parses already; DuckDB gives text). */
  parseJson(value: unknown): unknown;
  /** Case-sensitive regular expression match. */
  regexMatch(left: string, right: string): string;
  /**
   * A bound value's placeholder, typed where the engine cannot infer it: PostgreSQL infers a
   * parameter's type from the column it meets, DuckDB binds JavaScript values as they are.
   */
  typedParam(placeholder: string, type: ScalarName, list: boolean): string;
  /**
   * A LIMIT or OFFSET count (a checked non-negative integer): bound where the engine allows it, so
   * the statement's text, and its prepared statement, is the same for every page.
   */
  pageCount(bind: (value: unknown) => string, count: number): string;
  /** Binds a JSON value (`bind` adds a parameter and returns its placeholder); returns the SQL. */
  jsonParam(bind: (value: unknown) => string, value: unknown): string;
  /** JSON equality or containment (PostgreSQL's `@>`) of a JSON column and a bound JSON value. */
  jsonCompare(column: string, op: "eq" | "contains", value: string): string;
  /** The JSON column (an object) has every one of the bound keys. */
  jsonHasKeys(column: string, keys: readonly string[]): string;
  /** The array column holds every element of the bound array. */
  arrayContains(column: string, value: string): string;
  /** The array column and the bound array share an element. */
  arrayOverlaps(column: string, value: string): string;
}
