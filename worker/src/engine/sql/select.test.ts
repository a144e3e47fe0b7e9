import { describe, expect, it } from "vitest";
import { postgresDialect } from "../postgres/index.js";
import type { CatalogObject } from "./catalog.js";
import { createCompilation } from "./context.js";
import type { PlannedField } from "./plan.js";
import { compileByKey, compileList } from "./select.js";
import { productCategories } from "./test-fixtures.js";

const catalog = productCategories();
const products = catalog.object("products");
const categories = catalog.object("categories");

function column(object: CatalogObject, name: string): PlannedField {
  const field = object.field(name);
  if (!field) throw new Error(`no field ${name}`);
  return { key: name, meta: { kind: "column", field }, args: {}, selection: [] };
}

function relation(object: CatalogObject, name: string, key = name): Omit<PlannedField, "selection" | "args"> {
  const found = object.relation(name.replace(/_aggregation$/, ""));
  if (!found) throw new Error(`no relation ${name}`);
  const kind = name.endsWith("_aggregation") ? "relation_aggregation" : "relation";
  return { key, meta: { kind, relation: found } };
}

/** The EXISTS on link row `link` holding the keys of two rows: `[link column, row alias]` each, in order. */
const linked = (link: string, ...pairs: [column: string, row: string][]): string =>
  `EXISTS (SELECT 1 FROM "product_categories" AS "${link}" WHERE ${pairs
    .map(([name, row]) => `"${link}"."${name}" = "${row}"."id"`)
    .join(" AND ")})`;

describe("a many-to-many relation in a selection", () => {
  it("lists the target rows linked to each row, with the relation's own filter, order and limit", () => {
    const c = createCompilation(catalog, postgresDialect);
    const sql = compileList(c, products, {}, [
      {
        ...relation(products, "categories"),
        args: { filter: { name: { like: "B%" } }, order_by: [{ field: "name" }], limit: 2 },
        selection: [column(categories, "name")],
      },
    ]);
    expect(sql).toBe(
      `SELECT json_build_object('categories', (SELECT coalesce(json_agg("t4"."row" ORDER BY "t4"."n"), '[]'::json) FROM ` +
        `(SELECT json_build_object('name', "t2"."name") AS "row", row_number() OVER (ORDER BY "t2"."name" ASC) AS "n" ` +
        `FROM "categories" AS "t2" WHERE ${linked("t3", ["product_id", "t1"], ["category_id", "t2"])} AND "t2"."name" LIKE $1 ` +
        `ORDER BY "t2"."name" ASC LIMIT $2) AS "t4")) AS "row" FROM "products" AS "t1"`,
    );
    expect(c.params.values).toEqual(["B%", 2]);
  });

  it("aggregates the linked rows, and nests from the other side in a _by_pk", () => {
    const c = createCompilation(catalog, postgresDialect);
    const sql = compileByKey(c, categories, { id: 1 }, [
      {
        ...relation(categories, "products_aggregation", "counted"),
        args: {},
        selection: [{ key: "_rows_count", meta: { kind: "rows_count" }, args: {}, selection: [] }],
      },
      {
        ...relation(categories, "products"),
        args: {},
        selection: [{ ...relation(products, "categories"), args: {}, selection: [column(categories, "id")] }],
      },
    ]);
    expect(sql).toContain(
      `'counted', (SELECT json_build_object('_rows_count', count(*)) FROM "products" AS "t2" WHERE ${linked("t3", ["category_id", "t1"], ["product_id", "t2"])})`,
    );
    expect(sql).toContain(
      `FROM "products" AS "t4" WHERE ${linked("t5", ["category_id", "t1"], ["product_id", "t4"])}`,
    );
    expect(sql).toContain(
      `FROM "categories" AS "t7" WHERE ${linked("t8", ["product_id", "t4"], ["category_id", "t7"])}`,
    );
    expect(sql).toMatch(/ FROM "categories" AS "t1" WHERE "t1"\."id" = \$1 LIMIT 1$/);
    expect(c.params.values).toEqual([1]);
  });
});
