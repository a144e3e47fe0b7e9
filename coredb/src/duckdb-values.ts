import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DOUBLE,
  DuckDBTypeId,
  HUGEINT,
  JSDuckDBValueConverter,
  LIST,
  listValue,
  TIMESTAMPTZ,
  timestampTZValue,
  VARCHAR,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type JS,
} from "@duckdb/node-api";

/**
 * Values across the DuckDB boundary, so that the core database's callers see the same JavaScript
 * values whatever the back end: what postgres.js and PGlite give for the same columns.
 */

/** Parameters as DuckDB binds them: each value with an explicit type, so nothing is left to guess. */
export interface DuckDbParams {
  values: DuckDBValue[];
  types: DuckDBType[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * `$1..$n` parameters: strings, booleans, numbers, bigints, Dates (TIMESTAMPTZ), byte arrays,
 * arrays (a LIST, for `= ANY($1)`) and plain objects (JSON text, as for a jsonb parameter).
 * `undefined` binds NULL, as postgres.js does.
 */
export function toDuckDbParams(params: readonly unknown[]): DuckDbParams {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  params.forEach((param, index) => {
    const [value, type] = toDuckDbValue(param, index + 1);
    values.push(value);
    types.push(type);
  });
  return { values, types };
}

function toDuckDbValue(param: unknown, position: number): [DuckDBValue, DuckDBType] {
  if (param === null || param === undefined) return [null, VARCHAR];
  if (Array.isArray(param)) {
    const type = LIST(elementType(param, position));
    return [listValue(param.map((item) => toDuckDbValue(item, position)[0])), type];
  }
  if (param instanceof Date) return [timestampTZValue(BigInt(param.getTime()) * 1000n), TIMESTAMPTZ];
  if (param instanceof Uint8Array) return [blobValue(param), BLOB];
  if (typeof param === "object") return [JSON.stringify(param), VARCHAR];
  return primitiveToDuckDb(param, position);
}

function primitiveToDuckDb(param: unknown, position: number): [DuckDBValue, DuckDBType] {
  switch (typeof param) {
    case "string":
      return [param, VARCHAR];
    case "boolean":
      return [param, BOOLEAN];
    case "number":
      return [param, Number.isSafeInteger(param) ? BIGINT : DOUBLE];
    case "bigint":
      return [param, param >= INT64_MIN && param <= INT64_MAX ? BIGINT : HUGEINT];
    default:
      throw new TypeError(`parameter $${position}: a ${typeof param} cannot be bound`);
  }
}

/**
 * The item type of an array parameter: that of its first non-null item, DOUBLE for numbers that are
 * not all integers, VARCHAR for an empty array (a list of names is what callers pass).
 */
function elementType(items: readonly unknown[], position: number): DuckDBType {
  const first = items.find((item) => item !== null && item !== undefined);
  if (first === undefined) return VARCHAR;
  if (typeof first === "number") return items.every((item) => Number.isSafeInteger(item)) ? BIGINT : DOUBLE;
  return toDuckDbValue(first, position)[1];
}

/**
 * A result's rows as plain objects keyed by column name (a later column of the same name wins, as
 * in postgres.js). Converted with the result's column types: the types of the data chunks lack the
 * JSON alias, which tells JSON from VARCHAR.
 */
export async function rowObjects(result: DuckDBResult): Promise<Record<string, unknown>[]> {
  const names = result.columnNames();
  const types = result.columnTypes();
  const rows = await result.getRows();
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    row.forEach((value, index) => {
      object[names[index]!] = fromDuckDb(value, types[index]!, fromDuckDb);
    });
    return object;
  });
}

/**
 * DuckDB values to JavaScript: BIGINT and wider integers become numbers when exactly representable,
 * else decimal strings (as postgres.js gives int8); JSON is parsed (as jsonb is); TIMESTAMPTZ is a
 * Date (as timestamptz is); lists are arrays and structs objects, their items converted alike.
 */
const fromDuckDb: DuckDBValueConverter<unknown> = (value, type, self) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return integerToJs(value as bigint);
    case DuckDBTypeId.VARCHAR:
      return type.alias === "JSON" ? (JSON.parse(value as string) as unknown) : value;
    default:
      return JSDuckDBValueConverter(value, type, self as DuckDBValueConverter<JS>);
  }
};

function integerToJs(value: bigint): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value.toString();
}
