import type { ScalarName } from "../catalogs/index.js";
import type { SqlDialect } from "../engine.js";

/** A SQL string literal: quotes doubled; backslashes are plain characters in standard strings. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * DuckDB's spellings. `json_group_array` is a macro that refuses ORDER BY, so arrays are built with
 * `list(… ORDER BY …)` and converted with `to_json`, which keeps JSON items as JSON (an array of
 * objects, not of strings). JSON values come back as text, which `parseJson` parses.
 */
export const duckDbDialect: SqlDialect = {
  name: "duckdb",
  jsonObject(pairs) {
    return `json_object(${pairs.map(([key, expression]) => `${literal(key)}, ${expression}`).join(", ")})`;
  },
  jsonArrayAgg(expression, orderBy) {
    const order = orderBy.trim() === "" ? "" : ` ORDER BY ${orderBy}`;
    return `coalesce(to_json(list(${expression}${order})), '[]'::JSON)`;
  },
  parseJson(value) {
    return typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  },
  regexMatch(left, right) {
    // regexp_matches is true when the pattern matches anywhere, like PostgreSQL's `~`.
    return `regexp_matches(${left}, ${right})`;
  },
  // DuckDB refuses a parameter as the LIMIT of a correlated subquery (a one-to-many relation's
  // limit): "Non-constant limit not supported in correlated subquery". The count is a checked integer.
  pageCount: (_bind, count) => String(count),
  typedParam: (placeholder, type, list) => `CAST(${placeholder} AS ${DUCKDB_TYPES[type]}${list ? "[]" : ""})`,
  jsonParam: (bind, value) => `CAST(${bind(JSON.stringify(value))} AS JSON)`,
  jsonCompare: (column, op, value) =>
    op === "eq" ? `CAST(${column} AS JSON) = ${value}` : `json_contains(CAST(${column} AS JSON), ${value})`,
  jsonHasKeys: (column, keys) => keys.map((key) => `json_exists(${column}, '$.' || ${key})`).join(" AND "),
  arrayContains: (column, value) => `list_has_all(${column}, ${value})`,
  arrayOverlaps: (column, value) => `list_has_any(${column}, ${value})`,
};

/** DuckDB's names of hugr's scalar types, for parameter casts. */
const DUCKDB_TYPES: Readonly<Record<ScalarName, string>> = {
  String: "VARCHAR",
  Int: "INTEGER",
  BigInt: "BIGINT",
  Float: "DOUBLE",
  Boolean: "BOOLEAN",
  Date: "DATE",
  Time: "TIME",
  Timestamp: "TIMESTAMPTZ",
  JSON: "JSON",
};
