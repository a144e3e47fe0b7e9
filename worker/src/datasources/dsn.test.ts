import { describe, expect, it } from "vitest";
import { maskDsnPassword } from "./dsn.js";

describe("maskDsnPassword", () => {
  it.each([
    ["postgres://user:password@postgres:5432/analytics", "postgres://user:***@postgres:5432/analytics"],
    ["postgres://user:p%40ss@h/db?sslmode=require", "postgres://user:***@h/db?sslmode=require"],
    ["postgres://reader@replica:5432/analytics", "postgres://reader@replica:5432/analytics"],
    ["/workspace/data/file.duckdb", "/workspace/data/file.duckdb"],
    ["not a url at all", "not a url at all"],
  ])("%s -> %s", (input, expected) => {
    expect(maskDsnPassword(input)).toBe(expected);
  });
});
