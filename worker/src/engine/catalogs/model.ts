import type { CachePolicy } from "../caching/policy.js";

/**
 * What a data source's catalogs describe, after parsing hugr's SDL (or introspecting the source):
 * its tables and views, their fields and the relations between them. The GraphQL schema builder and
 * the SQL compiler work from this model only, never from SDL.
 */

/** hugr's scalar types that a field of a table or view can have. */
export type ScalarName =
  "String" | "Int" | "BigInt" | "Float" | "Boolean" | "Date" | "Time" | "Timestamp" | "JSON";

export const SCALAR_NAMES: readonly ScalarName[] = [
  "String",
  "Int",
  "BigInt",
  "Float",
  "Boolean",
  "Date",
  "Time",
  "Timestamp",
  "JSON",
];

export interface FieldModel {
  /** GraphQL field name. */
  name: string;
  /** Column in the source: `@field_source(field:)`, otherwise the field name. */
  column: string;
  type: ScalarName;
  /** `[Int]`: an array column. */
  list: boolean;
  /** `Int!` (for a list: the list itself is non-null). */
  nonNull: boolean;
  /** `@pk`; several fields make a composite key. */
  pk: boolean;
  /** `@default(value:)` or `@default(sequence:)`: the database fills the field on insert when omitted. */
  default?: { value?: unknown; sequence?: string };
  /** `@cache(ttl:, key:, tags:)`: reads that select the field are cached (engine/caching). */
  cache?: CachePolicy;
  description?: string;
}

/**
 * A relation field on an object: `kind: "one"` where this object holds the foreign key (orders.customer),
 * `kind: "many"` on the referenced side (customers.orders). Declared once in SDL
 * (`@field_references` / `@references`), it appears on both objects.
 *
 * A many-to-many relation (`through`) links two objects that a link table (`@table(is_m2m: true)`)
 * references: `products.categories` and `categories.products` through `product_categories`. It is
 * `kind: "many"`, and a row of this object is related to a row of the target when a link row holds
 * both keys.
 */
export interface RelationModel {
  /** Field name on this object (`query` on the referencing side, `references_query` on the other). */
  name: string;
  /** Name of the related object (an ObjectModel.name of the same catalog). */
  target: string;
  kind: "one" | "many";
  /**
   * Fields of this object, pairwise equal to `targetFields` of the related object; with `through`,
   * each pair is linked by the link table instead (this object's fields to `through.sourceFields`,
   * the target's fields to `through.targetFields`).
   */
  sourceFields: string[];
  targetFields: string[];
  /** A many-to-many relation: the link object and its fields equal to `sourceFields` and `targetFields`. */
  through?: RelationLink;
  description?: string;
}

/**
 * The link table of a many-to-many relation, e.g. for `products.categories` through
 * `product_categories`: `{ object: "product_categories", sourceFields: ["product_id"],
 * targetFields: ["category_id"] }`, with the relation's `sourceFields: ["id"]` (of products) and
 * `targetFields: ["id"]` (of categories).
 */
export interface RelationLink {
  /** Name of the link object (an ObjectModel.name of the same catalog, with `m2m` set). */
  object: string;
  /** Fields of the link object, pairwise equal to the relation's `sourceFields` (of this object). */
  sourceFields: string[];
  /** Fields of the link object, pairwise equal to the relation's `targetFields` (of the target). */
  targetFields: string[];
}

export interface ObjectModel {
  /** GraphQL type name as the catalog writes it (before the data source's prefix). */
  name: string;
  kind: "table" | "view";
  /** `@table(name:)` / `@view(name:)`: the relation in the source; may be schema-qualified ("sales.orders"). */
  sqlName: string;
  /** `@view(sql:)`: the view is this query (no object of that name needs to exist in the source). */
  sql?: string;
  /**
   * `@table(is_m2m: true)`: a link table. Its two references stay many-to-one relations of its own,
   * and their `references_query` names many-to-many relations between the two referenced objects
   * instead of one-to-many relations to the link table.
   */
  m2m?: true;
  fields: FieldModel[];
  relations: RelationModel[];
  /** `@unique(fields:, query_suffix:)`: a `<name>_by_<suffix>` query for each. */
  uniques: { fields: string[]; querySuffix: string }[];
  /** `@cache(ttl:, key:, tags:)`: reads of the object are cached (engine/caching). */
  cache?: CachePolicy;
  description?: string;
}

export interface CatalogModel {
  objects: ObjectModel[];
}
