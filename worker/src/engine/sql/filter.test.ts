import { describe, expect, it } from "vitest";
import { duckDbDialect } from "../duckdb/index.js";
import { postgresDialect } from "../postgres/index.js";
import { createCompilation } from "./context.js";
import { compileFilter } from "./filter.js";
import { productCategories } from "./test-fixtures.js";

const catalog = productCategories("sales.product_categories");

/** The EXISTS that relates category row "t1" to product row "p" through the link table. */
const LINKED =
  'EXISTS (SELECT 1 FROM "sales"."product_categories" AS "t2" WHERE "t2"."product_id" = "p"."id" AND "t2"."category_id" = "t1"."id")';

describe("compileFilter of a many-to-many relation", () => {
  it("compiles any_of, all_of and none_of to EXISTS over the target rows linked through the link table", () => {
    const c = createCompilation(catalog, postgresDialect);
    const sql = compileFilter(c, catalog.object("products"), "p", {
      categories: {
        any_of: { name: { eq: "Books" } },
        all_of: { id: { lt: 3 } },
        none_of: { id: { eq: 4 } },
      },
    });
    expect(sql).toBe(
      `(EXISTS (SELECT 1 FROM "categories" AS "t1" WHERE ${LINKED} AND "t1"."name" = $1)` +
        ` AND NOT EXISTS (SELECT 1 FROM "categories" AS "t1" WHERE ${LINKED} AND ("t1"."id" < $2) IS NOT TRUE)` +
        ` AND NOT EXISTS (SELECT 1 FROM "categories" AS "t1" WHERE ${LINKED} AND "t1"."id" = $3))`,
    );
    expect(c.params.values).toEqual(["Books", 3, 4]);
  });

  it("nests: the link table of each level is joined to that level's row", () => {
    const c = createCompilation(catalog, duckDbDialect);
    const sql = compileFilter(c, catalog.object("categories"), "c", {
      products: { any_of: { categories: { none_of: { name: { like: "G%" } } } } },
    });
    expect(sql).toBe(
      'EXISTS (SELECT 1 FROM "products" AS "t1" WHERE EXISTS (SELECT 1 FROM "sales"."product_categories" AS "t2" ' +
        'WHERE "t2"."category_id" = "c"."id" AND "t2"."product_id" = "t1"."id") AND NOT EXISTS (SELECT 1 FROM "categories" AS "t3" ' +
        'WHERE EXISTS (SELECT 1 FROM "sales"."product_categories" AS "t4" WHERE "t4"."product_id" = "t1"."id" AND "t4"."category_id" = "t3"."id") ' +
        'AND "t3"."name" LIKE CAST($1 AS VARCHAR)))',
    );
    expect(c.params.values).toEqual(["G%"]);
  });

  it("leaves the link table's own many-to-one relations as they are", () => {
    const c = createCompilation(catalog, postgresDialect);
    expect(
      compileFilter(c, catalog.object("product_categories"), "l", { product: { title: { eq: "x" } } }),
    ).toBe(
      'EXISTS (SELECT 1 FROM "products" AS "t1" WHERE "l"."product_id" = "t1"."id" AND "t1"."title" = $1)',
    );
  });
});
