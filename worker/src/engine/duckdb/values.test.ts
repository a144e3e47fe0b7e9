import {
  BIGINT,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  HUGEINT,
  INTERVAL,
  LIST,
  SQLNULL,
  STRUCT,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
  listValue,
  structValue,
} from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { integerToJson, toDuckDbParams, toJsonValue } from "./values.js";

describe("integerToJson", () => {
  it.each([
    [0n, 0],
    [-42n, -42],
    [9007199254740991n, 9007199254740991],
    [-9007199254740991n, -9007199254740991],
    [9007199254740992n, "9007199254740992"],
    [-9007199254740993n, "-9007199254740993"],
    [10n ** 30n, "1000000000000000000000000000000"],
  ])("%s → %j", (value, expected) => {
    expect(integerToJson(value)).toBe(expected);
  });
});

describe("toJsonValue", () => {
  const convert = (value: Parameters<typeof toJsonValue>[0], type: Parameters<typeof toJsonValue>[1]) =>
    toJsonValue(value, type, toJsonValue);

  it("gives integers as numbers when exact, else text", () => {
    expect(convert(12n, BIGINT)).toBe(12);
    expect(convert(12345678901234567n, BIGINT)).toBe("12345678901234567");
    expect(convert(2n ** 100n, HUGEINT)).toBe("1267650600228229401496703205376");
  });

  it("gives decimals as numbers", () => {
    expect(convert(new DuckDBDecimalValue(150n, 10, 2), DECIMAL(10, 2))).toBe(1.5);
  });

  it("gives dates and timestamps as ISO 8601 text, microseconds kept", () => {
    expect(convert(new DuckDBDateValue(19724), DATE)).toBe("2024-01-02");
    const micros = BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n + 123456n;
    expect(convert(new DuckDBTimestampValue(micros), TIMESTAMP)).toBe("2024-01-02T03:04:05.123456");
    expect(convert(new DuckDBTimestampTZValue(micros), TIMESTAMPTZ)).toBe("2024-01-02T03:04:05.123456Z");
  });

  it("prints intervals as DuckDB does", () => {
    expect(convert(new DuckDBIntervalValue(0, 1, 7_200_000_000n), INTERVAL)).toBe("1 day 02:00:00");
  });

  it("converts inside lists and structs", () => {
    const type = STRUCT({ ids: LIST(BIGINT), name: VARCHAR });
    const value = structValue({ ids: listValue([1n, 2n ** 60n]), name: "x" });
    expect(convert(value, type)).toEqual({ ids: [1, "1152921504606846976"], name: "x" });
  });

  it("keeps NULL as null", () => {
    expect(convert(null, BIGINT)).toBeNull();
  });
});

describe("toDuckDbParams", () => {
  it("passes scalars through and needs no types", () => {
    expect(toDuckDbParams([1, 2.5, "a", true, 3n, null])).toEqual({
      values: [1, 2.5, "a", true, 3n, null],
      types: undefined,
    });
  });

  it("binds undefined as NULL, dates as ISO text, objects as JSON text", () => {
    const { values } = toDuckDbParams([undefined, new Date(Date.UTC(2024, 0, 2)), { a: [1] }]);
    expect(values).toEqual([null, "2024-01-02T00:00:00.000Z", '{"a":[1]}']);
  });

  it("types an empty list NULL[] and a list with a fraction DOUBLE[]", () => {
    const { values, types } = toDuckDbParams(["x", [], [1, 2.5]]);
    expect(values[1]).toEqual(listValue([]));
    expect(types?.[0]).toBeUndefined();
    expect(types?.[1]).toEqual(LIST(SQLNULL));
    expect(types?.[2]).toEqual(LIST(DOUBLE));
  });

  it("binds a list of integers beyond 32 bits as bigints, so the first item does not decide the type", () => {
    const { values, types } = toDuckDbParams([[1, 5_000_000_000]]);
    expect((values[0] as DuckDBListValue).items).toEqual([1n, 5_000_000_000n]);
    expect(types).toBeUndefined();
  });

  it("binds the numbers of a list holding a bigint as bigints", () => {
    const { values } = toDuckDbParams([[2, 9007199254740993n]]);
    expect((values[0] as DuckDBListValue).items).toEqual([2n, 9007199254740993n]);
  });
});
