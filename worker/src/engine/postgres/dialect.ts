import type { SqlDialect } from "../engine.js";

/** json_build_object takes at most 100 arguments: 50 key/value pairs. */
const MAX_PAIRS = 50;

/** A SQL string literal: quotes doubled (standard_conforming_strings is on since PostgreSQL 9.1). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function buildObject(pairs: readonly (readonly [string, string])[]): string {
  return `json_build_object(${pairs.map(([key, expression]) => `${literal(key)}, ${expression}`).join(", ")})`;
}

/**
 * Objects of more than 50 fields are built in chunks whose texts are spliced into one object
 * (`{"a" : 1` + `,` + `"b" : 2}`). Unlike `jsonb ||`, splicing keeps the fields in the order given
 * and the result `json`, so every object the dialect builds has the same type and key order.
 */
function splicedObject(pairs: readonly (readonly [string, string])[]): string {
  const chunks: string[] = [];
  for (let start = 0; start < pairs.length; start += MAX_PAIRS) {
    chunks.push(`${buildObject(pairs.slice(start, start + MAX_PAIRS))}::text`);
  }
  const last = chunks.length - 1;
  const pieces = chunks.map((chunk, index) => {
    if (index === 0) return `left(${chunk}, -1)`;
    if (index === last) return `substr(${chunk}, 2)`;
    return `substr(left(${chunk}, -1), 2)`;
  });
  return `(${pieces.join(" || ',' || ")})::json`;
}

/**
 * PostgreSQL's spellings. The driver parses json and jsonb columns itself, so `parseJson` passes
 * values through: parsing again would turn a JSON string value such as `"42"` into a number.
 */
export const postgresDialect: SqlDialect = {
  name: "postgres",
  jsonObject(pairs) {
    return pairs.length <= MAX_PAIRS ? buildObject(pairs) : splicedObject(pairs);
  },
  jsonArrayAgg(expression, orderBy) {
    const order = orderBy.trim() === "" ? "" : ` ORDER BY ${orderBy}`;
    return `coalesce(json_agg(${expression}${order}), '[]'::json)`;
  },
  parseJson(value) {
    return value;
  },
  regexMatch(left, right) {
    return `(${left} ~ ${right})`;
  },
  typedParam: (placeholder) => placeholder,
  pageCount: (bind, count) => bind(count),
  // The driver serialises a jsonb parameter itself: bind the value, not its text.
  jsonParam: (bind, value) => `${bind(value)}::jsonb`,
  // json columns have no equality operator; jsonb does, so compare as jsonb.
  jsonCompare: (column, op, value) => `${column}::jsonb ${op === "eq" ? "=" : "@>"} ${value}`,
  jsonHasKeys: (column, keys) => `${column}::jsonb ?& ARRAY[${keys.join(", ")}]::text[]`,
  arrayContains: (column, value) => `${column} @> ${value}`,
  arrayOverlaps: (column, value) => `${column} && ${value}`,
};
