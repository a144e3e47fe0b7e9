/**
 * Failures of a data source's database. Messages are safe to show a user: they never carry a DSN or a
 * password, so the engines build them from the driver's fields instead of wrapping the driver's error
 * (whose properties can hold the connection options).
 */
export type SourceEngineName = "postgres" | "duckdb";

export interface SourceErrorDetails {
  /**
   * PostgreSQL: the SQLSTATE (`57014` statement timeout, `28P01` wrong password, …), or the driver's
   * connection code (`ECONNREFUSED`, `CONNECT_TIMEOUT`, `CONNECTION_ENDED`, …).
   * DuckDB: the error class in capitals (`CATALOG`, `BINDER`, `PARSER`, `INVALID_INPUT`, `IO`, …).
   */
  code?: string;
  /** PostgreSQL's DETAIL and HINT lines, when the server sent them. */
  detail?: string;
  hint?: string;
}

/** A statement the database refused or could not finish. */
export class SourceQueryError extends Error {
  readonly engine: SourceEngineName;
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(engine: SourceEngineName, message: string, details: SourceErrorDetails = {}) {
    super(message);
    this.name = "SourceQueryError";
    this.engine = engine;
    this.code = details.code;
    this.detail = details.detail;
    this.hint = details.hint;
  }
}

/** Opening an engine failed: unreachable server, refused login, missing DuckDB file. */
export class SourceConnectionError extends Error {
  readonly engine: SourceEngineName;
  readonly code: string | undefined;

  constructor(engine: SourceEngineName, message: string, code?: string) {
    super(message);
    this.name = "SourceConnectionError";
    this.engine = engine;
    this.code = code;
  }
}
