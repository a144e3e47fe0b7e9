import { createParams, type SqlParams } from "./params.js";
import type { SqlDialect } from "../engine.js";
import type { Catalog } from "./catalog.js";

/** State of compiling one statement: bind values, fresh table aliases, the dialect and the catalog. */
export interface Compilation {
  params: SqlParams;
  dialect: SqlDialect;
  catalog: Catalog;
  /** A table alias not used elsewhere in the statement. */
  alias(): string;
}

export function createCompilation(catalog: Catalog, dialect: SqlDialect): Compilation {
  let count = 0;
  return { params: createParams(), dialect, catalog, alias: () => `t${++count}` };
}
