import { FilterError } from "@hugr/coredb";
import type { FieldModel, ScalarName } from "../../catalogs/index.js";
import type { Compilation } from "./context.js";

/**
 * Binding input values to a field's type. PostgreSQL infers a parameter's type from the column it
 * is compared with or written to; DuckDB binds JavaScript values as they are, so its placeholders
 * get an explicit CAST. JSON values travel as their text and are cast on both engines.
 */
export function bindValue(c: Compilation, field: FieldModel, value: unknown, path: string): string {
  checkValue(field, value, path);
  if (field.type === "JSON" && !field.list) {
    // PostgreSQL's driver serialises a jsonb parameter itself; DuckDB takes JSON as text.
    return c.dialect.name === "postgres"
      ? `${c.params.add(value)}::jsonb`
      : `CAST(${c.params.add(JSON.stringify(value))} AS JSON)`;
  }
  const holder = c.params.add(value);
  return c.dialect.name === "duckdb"
    ? `CAST(${holder} AS ${DUCKDB_TYPES[field.type]}${field.list ? "[]" : ""})`
    : holder;
}

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

/** Operators whose SQL differs between the engines beyond what SqlDialect covers. */
export interface TypedOperators {
  jsonCompare(column: string, op: "eq" | "contains", value: string): string;
  jsonHasKeys(column: string, keys: readonly string[]): string;
  arrayContains(column: string, value: string): string;
  arrayOverlaps(column: string, value: string): string;
}

const POSTGRES_OPERATORS: TypedOperators = {
  // json columns have no equality operator; jsonb does, so compare as jsonb.
  jsonCompare: (column, op, value) => `${column}::jsonb ${op === "eq" ? "=" : "@>"} ${value}`,
  jsonHasKeys: (column, keys) => `${column}::jsonb ?& ARRAY[${keys.join(", ")}]::text[]`,
  arrayContains: (column, value) => `${column} @> ${value}`,
  arrayOverlaps: (column, value) => `${column} && ${value}`,
};

const DUCKDB_OPERATORS: TypedOperators = {
  jsonCompare: (column, op, value) =>
    op === "eq" ? `CAST(${column} AS JSON) = ${value}` : `json_contains(CAST(${column} AS JSON), ${value})`,
  jsonHasKeys: (column, keys) => keys.map((key) => `json_exists(${column}, '$.' || ${key})`).join(" AND "),
  arrayContains: (column, value) => `list_has_all(${column}, ${value})`,
  arrayOverlaps: (column, value) => `list_has_any(${column}, ${value})`,
};

export function typedOps(c: Compilation): TypedOperators {
  return c.dialect.name === "postgres" ? POSTGRES_OPERATORS : DUCKDB_OPERATORS;
}

/** Rejects operands of the wrong type with the input path, before they reach the database. */
function checkValue(field: FieldModel, value: unknown, path: string): void {
  if (field.list) {
    if (!Array.isArray(value)) throw new FilterError(`${path}: expected a list of ${field.type} values`);
    // Arrays may hold NULL elements (`[1, null, 3]`), as SQL arrays can.
    value.forEach((item, i) => item === null || checkScalar(field.type, item, `${path}[${i}]`));
    return;
  }
  checkScalar(field.type, value, path);
}

function checkScalar(type: ScalarName, value: unknown, path: string): void {
  if (value === null) throw new FilterError(`${path}: null is not a valid value here`);
  if (!SCALAR_CHECKS[type](value)) throw new FilterError(`${path}: expected a ${type} value`);
}

const isString = (v: unknown) => typeof v === "string";
const SCALAR_CHECKS: Readonly<Record<ScalarName, (value: unknown) => boolean>> = {
  String: isString,
  Int: (v) => typeof v === "number" && Number.isInteger(v),
  BigInt: (v) => typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v)) || isString(v),
  Float: (v) => typeof v === "number" && Number.isFinite(v),
  Boolean: (v) => typeof v === "boolean",
  Date: isString,
  Time: isString,
  Timestamp: isString,
  JSON: () => true,
};
