import type { CatalogSourceInput, DataSourceInput } from "@hugr/coredb";

/**
 * Test harness: a data source every node can really load, with no server behind it.
 *
 * hugr's reference example (reference-queries.ts) points at `postgres://…@postgres:5432/analytics` and a
 * catalog folder that only exist in hugr's docker-compose setup, so loading it here fails, as it should.
 * Tests that need a load to succeed register this source too: an in-memory DuckDB database serving one
 * view, `events`, defined by a text catalog, so every node (in process or not) loads the same thing.
 */

/** The rows of the `events` view. */
const EVENT_ROWS = [{ id: 1, name: "a" }];

/** The catalog of a loadable source: one view computed by DuckDB, no table needed. */
const EVENTS_CATALOG = `type events @view(name: "events", sql: "select 1 as id, 'a' as name") { id: Int! @pk  name: String }`;

/**
 * Why loading hugr's reference example fails where no host is called `postgres`: the reason names the
 * host, never the DSN or its password. The lookup fails with ENOTFOUND, or EAI_AGAIN without a
 * resolver; a resolver that never answers makes it a connect timeout, which may not name the host.
 */
export const REFERENCE_LOAD_FAILURE =
  /cannot connect to the data source: (?:(?:host not found|host name lookup failed) \(postgres\)|connection timed out(?: \([^)]*\))?)/;

export interface LoadableSource {
  /** The `data` of hugr's `insert_data_sources` (the reference's ADD_DATA_SOURCE variables' shape). */
  data: Required<Omit<DataSourceInput, "self_defined">> & {
    description: string;
    catalogs: CatalogSourceInput[];
  };
  /** A query reading the view through the source's GraphQL once it is loaded. */
  query: string;
  /** The data `query` answers. */
  answer: Record<string, unknown>;
}

/**
 * A loadable source named `name`. Give each source loaded at the same time its own `prefix` (its
 * root field is then `<prefix>_events`), since two sources may not define the same root field.
 */
export function loadableSource(name: string, options: { prefix?: string } = {}): LoadableSource {
  const prefix = options.prefix ?? "";
  const field = prefix ? `${prefix}_events` : "events";
  return {
    data: {
      name,
      type: "duckdb",
      prefix,
      description: "Events computed by an in-memory DuckDB",
      path: ":memory:",
      as_module: false,
      read_only: true,
      disabled: false,
      catalogs: [
        { name: `${name}_events`, type: "text", description: "The events view", path: EVENTS_CATALOG },
      ],
    },
    query: `{ ${field} { id name } }`,
    answer: { [field]: EVENT_ROWS },
  };
}

/** The data of the reference's single-node LOAD_DATA_SOURCE (reference-queries.ts). */
export type LoadDataSourceData = {
  function: { core: { load_data_source: { success: boolean; message: string } } };
};

/**
 * One of the reference's single-node function documents (LOAD_DATA_SOURCE, UNLOAD_DATA_SOURCE,
 * DATA_SOURCE_STATUS of reference-queries.ts), unchanged but for the data source it names.
 */
export function forSource(document: string, name: string): string {
  const reference = '(name: "analytics")';
  if (!document.includes(reference))
    throw new Error(`not a reference document naming "analytics":\n${document}`);
  return document.replace(reference, `(name: ${JSON.stringify(name)})`);
}
