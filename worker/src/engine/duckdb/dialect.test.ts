import { describe, expect, it } from "vitest";
import { duckDbDialect } from "./dialect.js";

const pairs = (count: number): [string, string][] =>
  Array.from({ length: count }, (_, i) => [`f${i}`, `t.c${i}`] as [string, string]);

describe("duckDbDialect", () => {
  it("builds objects with json_object, any number of pairs", () => {
    expect(
      duckDbDialect.jsonObject([
        ["id", "t.id"],
        ["it's", "t.name"],
      ]),
    ).toBe("json_object('id', t.id, 'it''s', t.name)");
    expect(duckDbDialect.jsonObject(pairs(60)).match(/json_object\(/g)).toHaveLength(1);
  });

  it("aggregates with to_json(list(…)), ordered when asked, [] for no rows", () => {
    expect(duckDbDialect.jsonArrayAgg("x.j", " ")).toBe("coalesce(to_json(list(x.j)), '[]'::JSON)");
    expect(duckDbDialect.jsonArrayAgg("x.j", "x.a")).toBe(
      "coalesce(to_json(list(x.j ORDER BY x.a)), '[]'::JSON)",
    );
  });

  it("parses JSON text and passes other values through", () => {
    expect(duckDbDialect.parseJson('{"a":[1,"x"]}')).toEqual({ a: [1, "x"] });
    expect(duckDbDialect.parseJson('"42"')).toBe("42");
    expect(duckDbDialect.parseJson(null)).toBeNull();
  });

  it("matches regular expressions anywhere in the text, like ~", () => {
    expect(duckDbDialect.regexMatch("t.name", "$1")).toBe("regexp_matches(t.name, $1)");
  });
});
