// Runs compiled filters against real PostgreSQL semantics (PGlite, in memory).
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { compileFilter, compileOrderBy, createParams } from "./index.js";
import type { OrderByField, TableSpec } from "./index.js";
import { dataSources, FIXTURE_DDL, metrics, roles } from "./test-fixtures.js";

const SEED = `
INSERT INTO catalog_sources VALUES
  ('fs', 'localFS', 'local folder', '/cat/fs'),
  ('remote', 'uri', NULL, 's3://bucket/cat'),
  ('inline', 'text', 'inline SDL', '');
INSERT INTO data_sources VALUES
  ('pg_Main', 'postgres', 'pg', 'Main database', 'postgres://a/db', true, false, false, NULL),
  ('duck', 'duckdb', 'dk', NULL, '/data/a.duckdb', false, true, NULL, true),
  ('pg_Two', 'postgres', 'pg2', 'second PG; it''s old', 'postgres://b/db', false, NULL, true, false),
  ('api', 'http', 'api', 'HTTP api', 'https://api.example', false, false, false, false);
INSERT INTO data_source_catalogs VALUES
  ('pg_Main', 'fs'), ('pg_Main', 'inline'), ('duck', 'fs'), ('pg_Two', 'remote');
INSERT INTO roles VALUES ('admin', false), ('public', false), ('readonly', true);
INSERT INTO permissions VALUES
  ('public', 'data_sources', true, NULL), ('public', 'roles', false, '{"a": 1}'), ('readonly', 'roles', NULL, NULL);
INSERT INTO metrics VALUES
  (1, 0.5, '2024-01-01T00:00:00Z', '{}'), (2, 1.5, '2024-06-01T12:00:00Z', NULL), (3, NULL, NULL, NULL);
`;

let db: PGlite;

beforeAll(async () => {
  db = new PGlite();
  await db.exec(FIXTURE_DDL + SEED);
});

afterAll(async () => {
  await db.close();
});

/** Names (first column `key`) of the rows the filter selects, ordered by order_by or by key. */
async function select(
  spec: TableSpec,
  filter: unknown,
  orderBy?: OrderByField[],
  key = Object.keys(spec.columns)[0] ?? "name",
): Promise<unknown[]> {
  const params = createParams();
  const where = compileFilter(spec, filter, params, "t");
  const order = compileOrderBy(spec, orderBy ?? [{ field: key }], "t");
  const sql = `SELECT "t"."${key}" AS k FROM "${spec.table}" AS "t" WHERE ${where}${order}`;
  const result = await db.query<{ k: unknown }>(sql, params.values);
  return result.rows.map((row) => row.k);
}

describe("compiled filters on PostgreSQL (PGlite)", () => {
  it.each([
    ["empty", {}, ["api", "duck", "pg_Main", "pg_Two"]],
    ["eq", { type: { eq: "postgres" } }, ["pg_Main", "pg_Two"]],
    ["in", { type: { in: ["duckdb", "http"] } }, ["api", "duck"]],
    ["in []", { type: { in: [] } }, []],
    ["like (case-sensitive)", { name: { like: "pg_%" } }, ["pg_Main", "pg_Two"]],
    ["like is case-sensitive", { name: { like: "%two" } }, []],
    ["ilike", { name: { ilike: "%two" } }, ["pg_Two"]],
    ["regex", { path: { regex: "^postgres://[a-z]/" } }, ["pg_Main", "pg_Two"]],
    ["is_null true", { description: { is_null: true } }, ["duck"]],
    ["is_null false", { read_only: { is_null: false } }, ["api", "duck", "pg_Two"]],
    ["boolean eq", { as_module: { eq: true } }, ["pg_Main"]],
    ["several fields", { type: { eq: "postgres" }, as_module: { eq: false } }, ["pg_Two"]],
    ["_or", { _or: [{ type: { eq: "http" } }, { disabled: { eq: true } }] }, ["api", "duck"]],
    ["empty _or", { _or: [] }, []],
    ["_not", { _not: { type: { eq: "postgres" } } }, ["api", "duck"]],
    [
      "_not list",
      { _not: [{ type: { eq: "postgres" } }, { as_module: { eq: true } }] },
      ["api", "duck", "pg_Two"],
    ],
    ["quote in a value", { description: { eq: "second PG; it's old" } }, ["pg_Two"]],
    ["SQL in a value", { name: { eq: "x'; DROP TABLE data_sources; --" } }, []],
  ])("data_sources %s", async (_name, filter, expected) => {
    expect(await select(dataSources, filter)).toEqual(expected);
  });

  it.each([
    ["any_of", { catalogs: { any_of: { type: { eq: "localFS" } } } }, ["duck", "pg_Main"]],
    ["any_of {} (has catalogs)", { catalogs: { any_of: {} } }, ["duck", "pg_Main", "pg_Two"]],
    ["none_of", { catalogs: { none_of: { type: { eq: "localFS" } } } }, ["api", "pg_Two"]],
    [
      "all_of (vacuous without catalogs)",
      { catalogs: { all_of: { type: { eq: "localFS" } } } },
      ["api", "duck"],
    ],
    // remote's description is NULL: a NULL inner result counts as not matching.
    [
      "all_of with NULLs",
      { catalogs: { all_of: { description: { like: "%" } } } },
      ["api", "duck", "pg_Main"],
    ],
    [
      "relation inside _or and _not",
      {
        _or: [
          { type: { eq: "http" } },
          { _not: { catalogs: { any_of: { name: { in: ["fs", "remote"] } } } } },
        ],
      },
      ["api"],
    ],
    [
      "any_of and none_of",
      { catalogs: { any_of: { type: { eq: "localFS" } }, none_of: { type: { eq: "text" } } } },
      ["duck"],
    ],
  ])("catalogs %s", async (_name, filter, expected) => {
    expect(await select(dataSources, filter)).toEqual(expected);
  });

  it("one-to-many and nested relations", async () => {
    expect(await select(roles, { permissions: { any_of: { hidden: { eq: true } } } })).toEqual(["public"]);
    expect(await select(roles, { permissions: { none_of: {} } })).toEqual(["admin"]);
    const nested = {
      permissions: { any_of: { role_info: { any_of: { disabled: { eq: true } } } } },
    };
    expect(await select(roles, nested)).toEqual(["readonly"]);
  });

  it("numbers, timestamps and json", async () => {
    expect(await select(metrics, { score: { gt: 1 } })).toEqual([2]);
    expect(await select(metrics, { id: { in: [1, 3] }, score: { is_null: false } })).toEqual([1]);
    expect(await select(metrics, { at: { gte: "2024-03-01T00:00:00Z" } })).toEqual([2]);
    expect(await select(metrics, { at: { lt: new Date("2024-03-01T00:00:00Z") } })).toEqual([1]);
    expect(await select(metrics, { at: { in: ["2024-01-01T01:00:00+01:00"] } })).toEqual([1]);
    expect(await select(metrics, { meta: { is_null: true } })).toEqual([2, 3]);
  });

  it("order_by", async () => {
    expect(await select(dataSources, {}, [{ field: "type", direction: "DESC" }, { field: "name" }])).toEqual([
      "pg_Main",
      "pg_Two",
      "api",
      "duck",
    ]);
    expect(await select(metrics, {}, [{ field: "score", direction: "DESC" }])).toEqual([3, 2, 1]);
  });
});
