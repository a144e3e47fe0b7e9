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
  description?: string;
}

/**
 * A relation field on an object: `kind: "one"` where this object holds the foreign key (orders.customer),
 * `kind: "many"` on the referenced side (customers.orders). Declared once in SDL
 * (`@field_references` / `@references`), it appears on both objects.
 */
export interface RelationModel {
  /** Field name on this object (`query` on the referencing side, `references_query` on the other). */
  name: string;
  /** Name of the related object (an ObjectModel.name of the same catalog). */
  target: string;
  kind: "one" | "many";
  /** Fields of this object, pairwise equal to `targetFields` of the related object. */
  sourceFields: string[];
  targetFields: string[];
  description?: string;
}

export interface ObjectModel {
  /** GraphQL type name as the catalog writes it (before the data source's prefix). */
  name: string;
  kind: "table" | "view";
  /** `@table(name:)` / `@view(name:)`: the relation in the source; may be schema-qualified ("sales.orders"). */
  sqlName: string;
  /** `@view(sql:)`: the view is this query (no object of that name needs to exist in the source). */
  sql?: string;
  fields: FieldModel[];
  relations: RelationModel[];
  /** `@unique(fields:, query_suffix:)`: a `<name>_by_<suffix>` query for each. */
  uniques: { fields: string[]; querySuffix: string }[];
  description?: string;
}

export interface CatalogModel {
  objects: ObjectModel[];
}
