import { parseCatalog } from "../catalogs/index.js";
import { indexCatalog, type Catalog } from "./catalog.js";

/**
 * The products/categories catalog the compiler's unit tests share: two tables linked many-to-many
 * through `linkTable` (`sales.product_categories` shows that a schema-qualified link is quoted part
 * by part).
 */
export function productCategories(linkTable = "product_categories"): Catalog {
  return indexCatalog(
    parseCatalog([
      {
        origin: "shop.graphql",
        text: `
        type products @table(name: "products") { id: Int! @pk title: String! }
        type categories @table(name: "categories") { id: Int! @pk name: String! }
        type product_categories @table(name: "${linkTable}", is_m2m: true) {
          product_id: Int! @pk @field_references(references_name: "products", query: "product", references_query: "categories")
          category_id: Int! @pk @field_references(references_name: "categories", query: "category", references_query: "products")
        }`,
      },
    ]),
  );
}
