import { describe, expect, it } from "vitest";
import { maskDsnPassword, redactPaths } from "./dsn.js";

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

describe("redactPaths", () => {
  it.each([
    [
      'spec.path: Invalid value: "postgres://u:pw-1@h/db"',
      ["postgres://u:pw-1@h/db"],
      'spec.path: Invalid value: "postgres://u:***@h/db"',
    ],
    ["the password pw-1 is weak", ["postgres://u:pw-1@h/db"], "the password *** is weak"],
    ["decoded p@ss, encoded p%40ss", ["postgres://u:p%40ss@h/db"], "decoded ***, encoded ***"],
    ["query secret-q", ["postgres://h/db?user=u&password=secret-q"], "query ***"],
    ["pair 'with space' and with space", ["host=h password='with space'"], "pair *** and ***"],
    ["no secret in /data/x.duckdb", ["/data/x.duckdb"], "no secret in /data/x.duckdb"],
    ["two: a1 b2", ["postgres://u:a1@h/db", "postgres://u:b2@h/db"], "two: *** ***"],
  ])("%s", (text, paths, expected) => {
    expect(redactPaths(text, paths)).toBe(expected);
  });
});
