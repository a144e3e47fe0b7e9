import type { Row, SourceEngine } from "../engine.js";
import type { Catalog } from "../sql/catalog.js";
import type { SharedTypes } from "./shared.js";

export interface SourceSchemaInput {
  /** The data source's name (the module field when `asModule`). */
  name: string;
  /**
   * Prepended with "_" to every type name, so two sources never collide, and to every root field
   * name unless the source is a module: as in hugr, `prefix: "an"` with `as_module` gives
   * `analytics { events }` of type `an_events`; without it, `an_events` at the top level.
   */
  prefix: string;
  asModule: boolean;
  /** No insert_/update_/delete_ fields (read_only sources, and engines that cannot write). */
  readOnly: boolean;
  /** Objects without insert_/update_/delete_ fields of their own (they change with another). */
  readOnlyObjects?: readonly string[];
  catalog: Catalog;
  /**
   * The engine a request runs on: a data source has one; the core module's is the node's core
   * database, taken from the request's context, so the core schema is built once for every node.
   */
  engine: (context: unknown) => SourceEngine;
  /**
   * What `update_` and `delete_` return: hugr's `OperationResult` for data sources (and `insert_` of
   * a table without a primary key), the changed rows for the core module, whose reference examples
   * select row fields from `update_data_sources`.
   */
  mutationResults: "operation_result" | "rows";
  /**
   * Root lists without `order_by` are ordered by primary key: the core module's listings always
   * were (by name). Data sources keep the database's order, as in hugr, which costs nothing.
   */
  orderByKeyByDefault?: boolean;
  /**
   * Whether the writes of one request share one transaction per engine, committed when the request
   * ends, as hugr runs a data source's mutations. The core module commits each field on its own,
   * as it always did: its data source writes are made by another writer (in a cluster, another
   * process) that a request's transaction could not include, and an embedded or DuckDB core
   * database has one connection, which a request-long transaction would hold against that writer.
   */
  transactionPerRequest: boolean;
  /** Tables whose writes are made outside the engine, by object name (see {@link DelegatedWrites}). */
  delegatedWrites?: Readonly<Record<string, DelegatedWrites>>;
  /**
   * Fields shown masked, by object and field name (a DSN's password, an API key). A masked field
   * cannot be filtered or aggregated either: `like` or `max` would reveal what the mask hides.
   */
  masks?: Readonly<Record<string, Readonly<Record<string, (value: unknown) => unknown>>>>;
  shared: SharedTypes;
}

/**
 * The writes of one table made by code outside the engine: the core module's data sources are
 * changed through the node's writer (the management node, the operator in a managed cluster). The
 * engine still compiles the filter and reads the rows back with the request's selection; keys are
 * primary-key values, `{field: value}`.
 */
export interface DelegatedWrites {
  /** Inserts the row (and what it carries); returns its key. */
  insert(data: Record<string, unknown>, context: unknown): Promise<Row>;
  update(keys: readonly Row[], data: Record<string, unknown>, context: unknown): Promise<void>;
  delete(keys: readonly Row[], context: unknown): Promise<void>;
}
