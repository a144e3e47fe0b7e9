import { describe, expect, it } from "vitest";
import { columnType } from "./introspect.js";

describe("columnType", () => {
  it.each([
    // PostgreSQL udt_name spellings (arrays arrive as "<element>[]")
    ["int2", "Int", false],
    ["int4", "Int", false],
    ["int8", "BigInt", false],
    ["numeric", "Float", false],
    ["float4", "Float", false],
    ["float8", "Float", false],
    ["text", "String", false],
    ["varchar", "String", false],
    ["bpchar", "String", false],
    ["uuid", "String", false],
    ["bool", "Boolean", false],
    ["date", "Date", false],
    ["time", "Time", false],
    ["timetz", "Time", false],
    ["timestamp", "Timestamp", false],
    ["timestamptz", "Timestamp", false],
    ["json", "JSON", false],
    ["jsonb", "JSON", false],
    ["int4[]", "Int", true],
    ["text[]", "String", true],
    ["mood", "String", false],
    // DuckDB data_type spellings
    ["INTEGER", "Int", false],
    ["TINYINT", "Int", false],
    ["BIGINT", "BigInt", false],
    ["UINTEGER", "BigInt", false],
    ["HUGEINT", "String", false],
    ["DECIMAL(10,2)", "Float", false],
    ["DOUBLE", "Float", false],
    ["FLOAT", "Float", false],
    ["VARCHAR", "String", false],
    ["BOOLEAN", "Boolean", false],
    ["TIME WITH TIME ZONE", "Time", false],
    ["TIMESTAMP WITH TIME ZONE", "Timestamp", false],
    ["TIMESTAMP_NS", "Timestamp", false],
    ["JSON", "JSON", false],
    ["INTEGER[]", "Int", true],
    ["INTEGER[3]", "Int", true],
    ["DECIMAL(18,3)[]", "Float", true],
    ["INTEGER[][]", "String", false],
    ["STRUCT(a INTEGER)", "String", false],
    ["MAP(VARCHAR, INTEGER[])", "String", false],
  ])("maps %s to %s (list: %s)", (typeName, type, list) => {
    expect(columnType(typeName)).toEqual({ type, list });
  });
});
