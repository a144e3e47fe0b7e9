import { quoteIdent } from "./sql-text.js";
import type { CatalogObject } from "./catalog.js";
import type { Compilation, ReadVia } from "./context.js";
import { FilterError } from "./errors.js";
import { compileFilter } from "./filter.js";

/**
 * `<from> AS "alias"`, or, when the request's role filters the object's rows (read through `via`),
 * the rows it may read as a subquery under the same alias: one place puts row filters on every read
 * (lists, `_by_pk`, aggregations, relation subqueries, filters and sorts through relations), and
 * PostgreSQL and DuckDB flatten such a subquery into the outer query.
 */
export function readFrom(c: Compilation, object: CatalogObject, alias: string, via?: ReadVia): string {
  const quoted = quoteIdent(alias);
  const filters = c.rows?.readFilters(object, via) ?? [];
  if (filters.length === 0) return `${object.from} AS ${quoted}`;
  return `(SELECT * FROM ${object.from} AS ${quoted} WHERE ${permissionCondition(c, object, alias, filters)}) AS ${quoted}`;
}

/**
 * A role's filters as one condition on `alias`. A rule is the administrator's, not the client's: one
 * that does not compile (a field renamed since it was written) refuses every row rather than erring
 * or, worse, being dropped. Compiled without row filters of their own: the rows a rule looks at
 * through a relation are not filtered again, so rules referring to each other cannot loop.
 */
export function permissionCondition(
  c: Compilation,
  object: CatalogObject,
  alias: string,
  filters: readonly unknown[],
): string {
  const { rows: _ignored, ...plain } = c;
  const parts = filters.map((filter) => {
    try {
      return compileFilter(plain, object, alias, filter);
    } catch (error) {
      if (error instanceof FilterError) return "FALSE";
      throw error;
    }
  });
  return parts.length === 1 ? (parts[0] ?? "FALSE") : parts.map((p) => `(${p})`).join(" AND ");
}
