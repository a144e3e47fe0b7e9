/**
 * What runs SQL, on its own so that catalog introspection (catalogs/) and the engines can both use it
 * without importing each other.
 */
export type Row = Record<string, unknown>;

export interface Querier {
  /** Runs one statement with `$1`, `$2`, … placeholders bound to `params`; returns its rows. */
  query(sql: string, params: readonly unknown[]): Promise<Row[]>;
}
