import { describe, expect, it } from "vitest";
import { postgresDialect } from "./dialect.js";

const pairs = (count: number): [string, string][] =>
  Array.from({ length: count }, (_, i) => [`f${i}`, `t.c${i}`] as [string, string]);

describe("postgresDialect", () => {
  it("builds objects with json_build_object, quoting keys", () => {
    expect(
      postgresDialect.jsonObject([
        ["id", "t.id"],
        ["it's", "t.name"],
      ]),
    ).toBe("json_build_object('id', t.id, 'it''s', t.name)");
    expect(postgresDialect.jsonObject([])).toBe("json_build_object()");
  });

  it("keeps 50 pairs in one call and splices larger objects from chunks of 50", () => {
    expect(postgresDialect.jsonObject(pairs(50))).toMatch(/^json_build_object\(/);
    const sql = postgresDialect.jsonObject(pairs(120));
    expect(sql.match(/json_build_object\(/g)).toHaveLength(3);
    expect(sql).toMatch(/^\(left\(json_build_object\('f0'.*\)::text, -1\) \|\| ',' \|\| substr\(left\(/);
    expect(sql).toMatch(/substr\(json_build_object\('f100'.*'f119', t\.c119\)::text, 2\)\)::json$/);
  });

  it("aggregates with json_agg, ordered when asked, [] for no rows", () => {
    expect(postgresDialect.jsonArrayAgg("x.j", "")).toBe("coalesce(json_agg(x.j), '[]'::json)");
    expect(postgresDialect.jsonArrayAgg("x.j", "x.a DESC, x.b")).toBe(
      "coalesce(json_agg(x.j ORDER BY x.a DESC, x.b), '[]'::json)",
    );
  });

  it("passes parsed JSON through (the driver parses json columns)", () => {
    expect(postgresDialect.parseJson('"42"')).toBe('"42"');
    expect(postgresDialect.parseJson({ a: 1 })).toEqual({ a: 1 });
  });

  it("matches regular expressions with ~", () => {
    expect(postgresDialect.regexMatch("t.name", "$1")).toBe("(t.name ~ $1)");
  });
});
