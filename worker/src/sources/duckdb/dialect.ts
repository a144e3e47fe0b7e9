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
};
