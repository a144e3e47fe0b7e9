import { describe, expect, it } from "vitest";
import { maskDsnPassword } from "./dsn.js";

describe("maskDsnPassword", () => {
  it.each([
    ["postgres://user:password@postgres:5432/analytics", "postgres://user:***@postgres:5432/analytics"],
    ["postgres://user:p%40ss@h/db?sslmode=require", "postgres://user:***@h/db?sslmode=require"],
    ["postgres://reader@replica:5432/analytics", "postgres://reader@replica:5432/analytics"],
    [
      "postgres://h:5432/db?user=u&password=secret&sslmode=require",
      "postgres://h:5432/db?user=u&password=***&sslmode=require",
    ],
    ["host=db port=5432 user=u password=secret dbname=x", "host=db port=5432 user=u password=*** dbname=x"],
    ["host=db password='with space' dbname=x", "host=db password=*** dbname=x"],
    ["/workspace/data/file.duckdb", "/workspace/data/file.duckdb"],
    ["not a url at all", "not a url at all"],
  ])("%s -> %s", (input, expected) => {
    expect(maskDsnPassword(input)).toBe(expected);
  });
});
