import { createParams, type SqlParams } from "./params.js";
import type { SqlDialect } from "../engine.js";
import type { Catalog, CatalogObject } from "./catalog.js";

/** State of compiling one statement: bind values, fresh table aliases, the dialect and the catalog. */
export interface Compilation {
  params: SqlParams;
  dialect: SqlDialect;
  catalog: Catalog;
  /** A table alias not used elsewhere in the statement. */
  alias(): string;
  /** The row filters of the request's role; absent: every row may be read. */
  rows?: RowAccess;
}

/**
 * The row filters a role's permissions put on reads: hugr filter objects, ANDed. `via` is the field
 * the rows are read through: the statement's root field, or a relation of `parent`; none for rows
 * looked at by a filter or a sort through a relation.
 */
export interface RowAccess {
  readFilters(object: CatalogObject, via?: ReadVia): readonly unknown[];
}

export type ReadVia = "root" | { parent: CatalogObject; field: string };

export function createCompilation(catalog: Catalog, dialect: SqlDialect, rows?: RowAccess): Compilation {
  let count = 0;
  return { params: createParams(), dialect, catalog, alias: () => `t${++count}`, ...(rows ? { rows } : {}) };
}
