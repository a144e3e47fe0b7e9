import {
  DOUBLE,
  DuckDBTimestampValue,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  LIST,
  SQLNULL,
  blobValue,
  listValue,
  type DuckDBDecimalValue,
  type DuckDBTimestampTZValue,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from "@duckdb/node-api";

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer as a JS number when it is exact, else its decimal text, so no id is silently rounded. */
export function integerToJson(value: bigint): number | string {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

/** DuckDB's `2024-01-02 03:04:05.123456` as ISO 8601 (`T` separator); `infinity` stays as it is. */
function isoTimestamp(text: string): string {
  return text.replace(" ", "T");
}

/**
 * Converts one DuckDB value to a plain JSON value, the shape the PostgreSQL engine returns too:
 * integers as numbers when exact (else text), DECIMAL as a number, DATE as `YYYY-MM-DD`, TIMESTAMP as
 * ISO 8601 without a zone, TIMESTAMPTZ as ISO 8601 in UTC (`…Z`), INTERVAL/TIME/UUID/BLOB as DuckDB
 * prints them. JSON columns stay text: the dialect's `parseJson` parses them.
 */
export const toJsonValue: DuckDBValueConverter<Json> = (value, type, self) => {
  if (value === null) return null;
  const convert = OWN_CONVERSIONS[type.typeId];
  return convert ? convert(value) : JsonDuckDBValueConverter(value, type, self);
};

const integer = (value: DuckDBValue): Json => integerToJson(value as bigint);
const timestamp = (value: DuckDBValue): Json => isoTimestamp(String(value));

/** Where this engine differs from the driver's JSON conversion (which gives integers and dates as text). */
const OWN_CONVERSIONS: Partial<Record<DuckDBTypeId, (value: DuckDBValue) => Json>> = {
  [DuckDBTypeId.BIGINT]: integer,
  [DuckDBTypeId.UBIGINT]: integer,
  [DuckDBTypeId.HUGEINT]: integer,
  [DuckDBTypeId.UHUGEINT]: integer,
  [DuckDBTypeId.BIGNUM]: integer,
  [DuckDBTypeId.DECIMAL]: (value) => (value as DuckDBDecimalValue).toDouble(),
  [DuckDBTypeId.TIMESTAMP]: timestamp,
  [DuckDBTypeId.TIMESTAMP_S]: timestamp,
  [DuckDBTypeId.TIMESTAMP_MS]: timestamp,
  [DuckDBTypeId.TIMESTAMP_NS]: timestamp,
  [DuckDBTypeId.TIMESTAMP_TZ]: (value) => utcTimestamp(value as DuckDBTimestampTZValue),
  [DuckDBTypeId.INTERVAL]: (value) => String(value),
};

/** TIMESTAMPTZ in UTC: its own toString uses the process's time zone. */
function utcTimestamp(value: DuckDBTimestampTZValue): string {
  const text = new DuckDBTimestampValue(value.micros).toString();
  return value.isFinite ? `${isoTimestamp(text)}Z` : text;
}

/** Statement parameters as DuckDB values, with the types DuckDB cannot infer from a JS value. */
export interface DuckDbParams {
  values: DuckDBValue[];
  /** Sparse: an entry only where inference would fail; undefined when none is needed. */
  types: DuckDBType[] | undefined;
}

/**
 * Converts JS parameters for binding. DuckDB infers a parameter's type from its value, and a list's
 * type from its first item, so: an empty list is typed `NULL[]` (which compares with anything), a
 * numeric list with a fraction is `DOUBLE[]`, and the integers of a list holding a bigint or an
 * integer beyond 32 bits are all bound as bigints.
 * Dates become ISO text and objects JSON text; DuckDB casts text where the statement needs it.
 */
export function toDuckDbParams(params: readonly unknown[]): DuckDbParams {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  let typed = false;
  params.forEach((param, index) => {
    values.push(toDuckDbValue(param));
    const type = Array.isArray(param) ? listType(param) : undefined;
    if (type) {
      // The binder reads `types[i]` and infers from the value where it is undefined.
      types[index] = type;
      typed = true;
    }
  });
  return { values, types: typed ? types : undefined };
}

function toDuckDbValue(value: unknown): DuckDBValue {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return listValue(listItems(value));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return blobValue(value);
  switch (typeof value) {
    case "boolean":
    case "number":
    case "bigint":
    case "string":
      return value;
    default:
      return JSON.stringify(value);
  }
}

function listItems(items: readonly unknown[]): DuckDBValue[] {
  const wide = !items.some(isFraction) && items.some(isWideInteger);
  return items.map((item) =>
    wide && typeof item === "number" && Number.isInteger(item) ? BigInt(item) : toDuckDbValue(item),
  );
}

function listType(items: readonly unknown[]): DuckDBType | undefined {
  if (items.length === 0) return LIST(SQLNULL);
  return items.some(isFraction) ? LIST(DOUBLE) : undefined;
}

function isFraction(item: unknown): boolean {
  return typeof item === "number" && !Number.isInteger(item);
}

/** An integer that does not fit the INTEGER type DuckDB infers from a small first item. */
function isWideInteger(item: unknown): boolean {
  if (typeof item === "bigint") return true;
  return (
    typeof item === "number" && Number.isInteger(item) && (item < -2_147_483_648 || item > 2_147_483_647)
  );
}
