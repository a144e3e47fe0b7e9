import { describe, it, expect } from "vitest";
import { compileFilter, compileOrderBy, createParams, FilterError } from "./index.js";
import type { OrderByField, TableSpec } from "./index.js";
import { dataSources, metrics, permissions, roles } from "./test-fixtures.js";

function compile(
  filter: unknown,
  spec: TableSpec = dataSources,
  alias = "ds",
): { sql: string; values: unknown[] } {
  const params = createParams();
  const sql = compileFilter(spec, filter, params, alias);
  return { sql, values: params.values };
}

function compileError(filter: unknown, spec: TableSpec = dataSources): FilterError {
  try {
    compile(filter, spec);
  } catch (err) {
    if (err instanceof FilterError) return err;
    throw err;
  }
  throw new Error("expected a FilterError");
}

/** `{_not: {_not: ... leaf}}` with `levels` filter objects in all. */
function nestedNot(levels: number): unknown {
  let filter: unknown = { name: { eq: "x" } };
  for (let i = 1; i < levels; i++) filter = { _not: filter };
  return filter;
}

const LINK =
  `FROM "data_source_catalogs" AS "ds_1_l" JOIN "catalog_sources" AS "ds_1" ON "ds_1"."name" = "ds_1_l"."catalog_name" ` +
  `WHERE "ds_1_l"."data_source_name" = "ds"."name"`;

describe("createParams", () => {
  it("numbers placeholders from $1 and keeps values in order", () => {
    const params = createParams();
    expect(params.add("a")).toBe("$1");
    expect(params.add(2)).toBe("$2");
    expect(params.values).toEqual(["a", 2]);
  });

  it("continues numbering when shared with other SQL fragments", () => {
    const params = createParams();
    params.add("existing");
    expect(compileFilter(dataSources, { name: { eq: "x" } }, params, "ds")).toBe('"ds"."name" = $2');
    expect(params.values).toEqual(["existing", "x"]);
  });
});

describe("compileFilter: empty input", () => {
  it.each([null, undefined, {}])("%s compiles to TRUE without params", (filter) => {
    expect(compile(filter)).toEqual({ sql: "TRUE", values: [] });
  });

  it("an empty operator object constrains nothing", () => {
    expect(compile({ name: {} })).toEqual({ sql: "TRUE", values: [] });
  });
});

describe("compileFilter: string operators", () => {
  it.each([
    ["eq", "pg", '"ds"."name" = $1'],
    ["like", "pg%", '"ds"."name" LIKE $1'],
    ["ilike", "PG%", '"ds"."name" ILIKE $1'],
    ["regex", "^pg[0-9]+$", '"ds"."name" ~ $1'],
  ])("%s", (op, value, sql) => {
    expect(compile({ name: { [op]: value } })).toEqual({ sql, values: [value] });
  });

  it("in binds one placeholder per value", () => {
    expect(compile({ type: { in: ["postgres", "duckdb"] } })).toEqual({
      sql: '"ds"."type" IN ($1, $2)',
      values: ["postgres", "duckdb"],
    });
  });

  it("in: [] is FALSE", () => {
    expect(compile({ type: { in: [] } })).toEqual({ sql: "FALSE", values: [] });
  });

  it("in with a single value is a one-element list (GraphQL list coercion)", () => {
    expect(compile({ type: { in: "http" } })).toEqual({ sql: '"ds"."type" IN ($1)', values: ["http"] });
  });

  it("is_null true / false", () => {
    expect(compile({ description: { is_null: true } })).toEqual({
      sql: '"ds"."description" IS NULL',
      values: [],
    });
    expect(compile({ description: { is_null: false } })).toEqual({
      sql: '"ds"."description" IS NOT NULL',
      values: [],
    });
  });

  it("ANDs several operators on one field", () => {
    expect(compile({ name: { like: "pg%", ilike: "%X", is_null: false } })).toEqual({
      sql: '("ds"."name" LIKE $1 AND "ds"."name" ILIKE $2 AND "ds"."name" IS NOT NULL)',
      values: ["pg%", "%X"],
    });
  });

  it("ANDs several fields", () => {
    expect(compile({ name: { eq: "a" }, type: { eq: "postgres" }, disabled: { eq: false } })).toEqual({
      sql: '("ds"."name" = $1 AND "ds"."type" = $2 AND "ds"."disabled" = $3)',
      values: ["a", "postgres", false],
    });
  });
});

describe("compileFilter: other column types", () => {
  it("boolean eq and is_null", () => {
    expect(compile({ as_module: { eq: true }, read_only: { is_null: true } })).toEqual({
      sql: '("ds"."as_module" = $1 AND "ds"."read_only" IS NULL)',
      values: [true],
    });
  });

  it.each([
    ["eq", "="],
    ["gt", ">"],
    ["gte", ">="],
    ["lt", "<"],
    ["lte", "<="],
  ])("int / float %s", (op, sqlOp) => {
    expect(compile({ id: { [op]: 3 }, score: { [op]: 1.5 } }, metrics, "m")).toEqual({
      sql: `("m"."id" ${sqlOp} $1 AND "m"."score" ${sqlOp} $2)`,
      values: [3, 1.5],
    });
  });

  it("int in and bigint operands", () => {
    expect(compile({ id: { in: [1, 2n] } }, metrics, "m")).toEqual({
      sql: '"m"."id" IN ($1, $2)',
      values: [1, 2n],
    });
  });

  it("casts timestamp placeholders to timestamptz", () => {
    const at = new Date("2024-01-02T00:00:00Z");
    expect(
      compile(
        { at: { gte: "2024-01-01T00:00:00Z", lt: at, in: ["2024-01-01", "2024-02-01"] } },
        metrics,
        "m",
      ),
    ).toEqual({
      sql:
        '("m"."at" >= $1::timestamptz AND "m"."at" < $2::timestamptz' +
        ' AND "m"."at" IN ($3::timestamptz, $4::timestamptz))',
      values: ["2024-01-01T00:00:00Z", at, "2024-01-01", "2024-02-01"],
    });
  });

  it("json allows is_null only", () => {
    expect(compile({ meta: { is_null: false } }, metrics, "m")).toEqual({
      sql: '"m"."meta" IS NOT NULL',
      values: [],
    });
    expect(compileError({ meta: { eq: "{}" } }, metrics).message).toBe(
      'filter.meta.eq: unknown operator "eq" for a json field',
    );
  });

  it.each([
    [
      "boolean like",
      { disabled: { like: "t%" } },
      dataSources,
      'unknown operator "like" for a boolean field',
    ],
    ["boolean gt", { disabled: { gt: false } }, dataSources, 'unknown operator "gt" for a boolean field'],
    ["string gt", { name: { gt: "a" } }, dataSources, 'unknown operator "gt" for a string field'],
    ["int like", { id: { like: "1%" } }, metrics, 'unknown operator "like" for a int field'],
    ["timestamp regex", { at: { regex: "x" } }, metrics, 'unknown operator "regex" for a timestamp field'],
  ])("rejects operators the type lacks: %s", (_name, filter, spec, message) => {
    expect(compileError(filter, spec).message).toContain(message);
  });
});

describe("compileFilter: _and / _or / _not", () => {
  const a = { name: { eq: "a" } };
  const b = { type: { eq: "b" } };

  it("_and of a list", () => {
    expect(compile({ _and: [a, b] })).toEqual({
      sql: '("ds"."name" = $1 AND "ds"."type" = $2)',
      values: ["a", "b"],
    });
  });

  it("_or of a list", () => {
    expect(compile({ _or: [a, b] })).toEqual({
      sql: '("ds"."name" = $1 OR "ds"."type" = $2)',
      values: ["a", "b"],
    });
  });

  it("empty _or is FALSE, empty _and is TRUE", () => {
    expect(compile({ _or: [] }).sql).toBe("FALSE");
    expect(compile({ _and: [] }).sql).toBe("TRUE");
  });

  it("_not of one object and of a list", () => {
    expect(compile({ _not: a })).toEqual({ sql: 'NOT ("ds"."name" = $1)', values: ["a"] });
    expect(compile({ _not: [a, b] })).toEqual({
      sql: 'NOT ("ds"."name" = $1 AND "ds"."type" = $2)',
      values: ["a", "b"],
    });
  });

  it("_not of nothing matches nothing", () => {
    expect(compile({ _not: {} }).sql).toBe("FALSE");
    expect(compile({ _not: [] }).sql).toBe("FALSE");
  });

  it("a single object for _and / _or is a one-element list", () => {
    expect(compile({ _or: a }).sql).toBe('"ds"."name" = $1');
    expect(compile({ _and: a }).sql).toBe('"ds"."name" = $1');
  });

  it("nests and keeps precedence explicit", () => {
    const filter = {
      disabled: { eq: false },
      _or: [{ _and: [a, b] }, { _not: { description: { is_null: true } } }, { prefix: { in: ["x", "y"] } }],
    };
    expect(compile(filter)).toEqual({
      sql:
        '("ds"."disabled" = $1 AND (("ds"."name" = $2 AND "ds"."type" = $3)' +
        ' OR NOT ("ds"."description" IS NULL) OR "ds"."prefix" IN ($4, $5)))',
      values: [false, "a", "b", "x", "y"],
    });
  });

  it("keeps empty objects inside _or (they match everything)", () => {
    expect(compile({ _or: [{}, a] }).sql).toBe('(TRUE OR "ds"."name" = $1)');
  });
});

describe("compileFilter: relations", () => {
  it("any_of through the link table", () => {
    expect(compile({ catalogs: { any_of: { type: { eq: "localFS" } } } })).toEqual({
      sql: `EXISTS (SELECT 1 ${LINK} AND "ds_1"."type" = $1)`,
      values: ["localFS"],
    });
  });

  it("none_of", () => {
    expect(compile({ catalogs: { none_of: { type: { eq: "uri" } } } })).toEqual({
      sql: `NOT EXISTS (SELECT 1 ${LINK} AND "ds_1"."type" = $1)`,
      values: ["uri"],
    });
  });

  it("all_of treats a NULL inner result as not matching", () => {
    expect(compile({ catalogs: { all_of: { description: { like: "x%" } } } })).toEqual({
      sql: `NOT EXISTS (SELECT 1 ${LINK} AND NOT COALESCE("ds_1"."description" LIKE $1, FALSE))`,
      values: ["x%"],
    });
  });

  it("any_of with an empty filter means 'has a related row'", () => {
    expect(compile({ catalogs: { any_of: {} } })).toEqual({ sql: `EXISTS (SELECT 1 ${LINK})`, values: [] });
  });

  it("ANDs several quantifiers with distinct sub-aliases", () => {
    const { sql, values } = compile({
      catalogs: { any_of: { type: { eq: "uri" } }, none_of: { type: { eq: "text" } } },
    });
    expect(sql).toBe(
      `(EXISTS (SELECT 1 ${LINK} AND "ds_1"."type" = $1) AND NOT EXISTS (SELECT 1 ${LINK.replaceAll("ds_1", "ds_2")}` +
        ` AND "ds_2"."type" = $2))`,
    );
    expect(values).toEqual(["uri", "text"]);
  });

  it("one-to-many correlates on the target key", () => {
    expect(compile({ permissions: { any_of: { hidden: { eq: true } } } }, roles, "r")).toEqual({
      sql: 'EXISTS (SELECT 1 FROM "permissions" AS "r_1" WHERE "r_1"."role" = "r"."name" AND "r_1"."hidden" = $1)',
      values: [true],
    });
  });

  it("nested relation filters get unique aliases", () => {
    const filter = {
      permissions: {
        any_of: { role_info: { any_of: { permissions: { none_of: { type_name: { eq: "t" } } } } } },
      },
      _or: [{ permissions: { all_of: { hidden: { eq: false } } } }],
    };
    expect(compile(filter, roles, "r")).toEqual({
      sql:
        '(EXISTS (SELECT 1 FROM "permissions" AS "r_1" WHERE "r_1"."role" = "r"."name"' +
        ' AND EXISTS (SELECT 1 FROM "roles" AS "r_2" WHERE "r_2"."name" = "r_1"."role"' +
        ' AND NOT EXISTS (SELECT 1 FROM "permissions" AS "r_3" WHERE "r_3"."role" = "r_2"."name"' +
        ' AND "r_3"."type_name" = $1)))' +
        ' AND NOT EXISTS (SELECT 1 FROM "permissions" AS "r_4" WHERE "r_4"."role" = "r"."name"' +
        ' AND NOT COALESCE("r_4"."hidden" = $2, FALSE)))',
      values: ["t", false],
    });
  });

  it("inner filters are checked against the target table", () => {
    expect(compileError({ catalogs: { any_of: { prefix: { eq: "x" } } } }).message).toBe(
      'filter.catalogs.any_of.prefix: unknown field "prefix" on catalog_sources',
    );
  });

  it.each([
    [{ catalogs: { some_of: {} } }, 'filter.catalogs.some_of: unknown relation operator "some_of"'],
    [{ catalogs: null }, "filter.catalogs: null is not a valid operand"],
    [{ catalogs: { any_of: null } }, "filter.catalogs.any_of: null is not a valid operand"],
    [{ catalogs: { eq: "x" } }, 'unknown relation operator "eq"'],
    [{ catalogs: [] }, "filter.catalogs: expected {any_of, all_of, none_of}"],
  ])("rejects invalid relation filters: %j", (filter, message) => {
    expect(compileError(filter).message).toContain(message);
  });
});

describe("compileFilter: values never reach the SQL text", () => {
  const evil = "x'; DROP TABLE data_sources; --";

  it.each([
    ["eq", { name: { eq: evil } }],
    ["in", { name: { in: [evil, `"${evil}"`] } }],
    ["like", { description: { like: evil } }],
    ["regex", { path: { regex: evil } }],
    ["relation", { catalogs: { any_of: { name: { eq: evil } } } }],
  ])("%s", (_name, filter) => {
    const { sql, values } = compile(filter);
    expect(sql).not.toContain("DROP");
    expect(sql).not.toContain("'");
    expect(values).toContain(evil);
  });

  it("SQL-looking field names are unknown fields, not identifiers", () => {
    const err = compileError({ "name\" = '' OR 1=1; --": { eq: "x" } });
    expect(err.message).toContain("unknown field");
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "inherited property %s is not a field",
    (key) => {
      const filter: unknown = JSON.parse(`{"${key}": {"eq": "x"}}`);
      expect(compileError(filter).message).toBe(`filter.${key}: unknown field "${key}" on data_sources`);
      expect(compileError({ name: JSON.parse(`{"${key}": "x"}`) as unknown }).message).toContain(
        `unknown operator "${key}"`,
      );
    },
  );
});

describe("compileFilter: errors", () => {
  it("is a FilterError", () => {
    const err = compileError({ nope: { eq: 1 } });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("FilterError");
    expect(err.message).toBe('filter.nope: unknown field "nope" on data_sources');
  });

  it("unknown operator names the operator", () => {
    expect(compileError({ name: { neq: "x" } }).message).toBe(
      'filter.name.neq: unknown operator "neq" for a string field',
    );
  });

  it.each([
    [{ name: { eq: null } }, "filter.name.eq"],
    [{ name: { like: undefined } }, "filter.name.like"],
    [{ name: { in: null } }, "filter.name.in"],
    [{ name: { in: ["a", null] } }, "filter.name.in[1]"],
    [{ name: null }, "filter.name"],
    [{ _or: [{ type: { eq: null } }] }, "filter._or[0].type.eq"],
  ])("a null operand points to is_null: %j", (filter, path) => {
    expect(compileError(filter).message).toBe(
      `${path}: null is not a valid operand; use {is_null: true} (or false) to test for NULL`,
    );
  });

  it.each([
    [{ name: { eq: 1 } }, dataSources, "filter.name.eq: expected a string value, got number 1"],
    [
      { disabled: { eq: "true" } },
      dataSources,
      'filter.disabled.eq: expected a boolean value, got the string "true"',
    ],
    [{ name: { eq: ["a"] } }, dataSources, "filter.name.eq: expected a string value, got a list"],
    [{ name: { eq: { a: 1 } } }, dataSources, "filter.name.eq: expected a string value, got an object"],
    [{ id: { eq: 1.5 } }, metrics, "filter.id.eq: expected a int value, got number 1.5"],
    [{ score: { eq: Number.NaN } }, metrics, "filter.score.eq: expected a float value, got number NaN"],
    [{ at: { gt: new Date("nope") } }, metrics, "filter.at.gt: expected a timestamp value, got an object"],
    [{ name: { is_null: "yes" } }, dataSources, "filter.name.is_null: is_null expects true or false"],
    [{ name: { is_null: null } }, dataSources, "filter.name.is_null: is_null expects true or false"],
    [{ name: "x" }, dataSources, "filter.name: expected an operator object such as {eq: …}"],
  ])("rejects operands of the wrong type: %j", (filter, spec, message) => {
    expect(compileError(filter, spec).message).toBe(message);
  });

  it.each([
    ["a string", "name = 'x'", "filter: expected a filter object"],
    ["a list", [{ name: { eq: "x" } }], "filter: expected a filter object"],
    ["a null _and", { _and: null }, "filter._and: expected a list of filters"],
    ["a null _or element", { _or: [null] }, "filter._or[0]: null is not a valid operand"],
    ["a scalar _not", { _not: 1 }, "filter._not[0]: expected a filter object"],
  ])("rejects %s as filter", (_name, filter, message) => {
    expect(compileError(filter).message).toContain(message);
  });
});

describe("compileFilter: nesting depth", () => {
  it("accepts 32 levels", () => {
    const { sql } = compile(nestedNot(32));
    expect(sql).toBe(`${"NOT (".repeat(31)}"ds"."name" = $1${")".repeat(31)}`);
  });

  it("rejects 33 levels", () => {
    expect(compileError(nestedNot(33)).message).toMatch(/nested deeper than 32 levels$/);
  });

  it("rejects very deep input with a FilterError, not a stack overflow", () => {
    expect(compileError(nestedNot(200_000))).toBeInstanceOf(FilterError);
    let viaRelations: unknown = {};
    for (let i = 0; i < 100_000; i++)
      viaRelations = { permissions: { any_of: { role_info: { any_of: viaRelations } } } };
    expect(compileError(viaRelations, roles)).toBeInstanceOf(FilterError);
  });

  it("counts relation filters as levels", () => {
    let filter: unknown = {};
    for (let i = 0; i < 15; i++) filter = { permissions: { any_of: { role_info: { any_of: filter } } } };
    expect(() => compile(filter, roles, "r")).not.toThrow(); // 31 levels
    expect(compileError({ _and: [{ _and: [filter] }] }, roles)).toBeInstanceOf(FilterError); // 33 levels
  });

  it("wide input is fine", () => {
    const filter = { _or: Array.from({ length: 5000 }, (_, i) => ({ name: { eq: `n${i}` } })) };
    const { values } = compile(filter);
    expect(values).toHaveLength(5000);
  });
});

describe("compileOrderBy", () => {
  it.each([null, undefined, []])("%j gives no ORDER BY", (orderBy) => {
    expect(compileOrderBy(dataSources, orderBy, "ds")).toBe("");
  });

  it("defaults to ASC and joins fields", () => {
    const orderBy: OrderByField[] = [
      { field: "type" },
      { field: "name", direction: "DESC" },
      { field: "prefix", direction: null },
      { field: "path", direction: "ASC" },
    ];
    expect(compileOrderBy(dataSources, orderBy, "ds")).toBe(
      ' ORDER BY "ds"."type" ASC, "ds"."name" DESC, "ds"."prefix" ASC, "ds"."path" ASC',
    );
  });

  it("places NULLs first or last when asked", () => {
    const orderBy: OrderByField[] = [
      { field: "description", nulls: "FIRST" },
      { field: "name", direction: "DESC", nulls: "LAST" },
      { field: "type", nulls: null },
    ];
    expect(compileOrderBy(dataSources, orderBy, "ds")).toBe(
      ' ORDER BY "ds"."description" ASC NULLS FIRST, "ds"."name" DESC NULLS LAST, "ds"."type" ASC',
    );
  });

  it.each([
    [[{ field: "nope" }], dataSources, 'order_by[0]: unknown field "nope" on data_sources'],
    [
      [{ field: "name" }, { field: "catalogs" }],
      dataSources,
      'order_by[1]: unknown field "catalogs" on data_sources',
    ],
    [[{ field: "name; DROP TABLE x" }], dataSources, 'order_by[0]: unknown field "name; DROP TABLE x"'],
    [[{ field: "constructor" }], dataSources, 'order_by[0]: unknown field "constructor"'],
    [[{ field: "name", direction: "desc" }], dataSources, "order_by[0]: direction must be ASC or DESC"],
    [[{ field: "name", direction: "ASC; --" }], dataSources, "order_by[0]: direction must be ASC or DESC"],
    [[null], dataSources, "order_by[0]: expected {field, direction}"],
    [[{ field: "name", nulls: "first" }], dataSources, "order_by[0]: nulls must be FIRST or LAST"],
    [[{ field: "meta" }], metrics, 'order_by[0]: cannot order by json field "meta"'],
  ])("rejects %j", (orderBy, spec, message) => {
    expect(() => compileOrderBy(spec, orderBy as unknown as OrderByField[], "t")).toThrow(FilterError);
    expect(() => compileOrderBy(spec, orderBy as unknown as OrderByField[], "t")).toThrow(message);
  });

  it("rejects a non-list", () => {
    expect(() => compileOrderBy(permissions, { field: "role" } as unknown as OrderByField[], "p")).toThrow(
      "order_by: expected a list of {field, direction}",
    );
  });
});
