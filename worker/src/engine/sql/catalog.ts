import { quoteIdent } from "./sql-text.js";
import type { CatalogModel, FieldModel, ObjectModel, RelationModel } from "../catalogs/index.js";
import type { Compilation } from "./context.js";
import { readFrom } from "./row-access.js";

/**
 * A parsed catalog with the lookups the compiler needs: objects by name, fields and relations by
 * GraphQL name. Built once per load; everything in it is trusted (it comes from the catalog, which
 * an administrator wrote), unlike query input.
 */
export interface Catalog {
  object(name: string): CatalogObject;
  objects: readonly CatalogObject[];
}

export interface CatalogObject {
  model: ObjectModel;
  field(name: string): FieldModel | undefined;
  relation(name: string): RelationModel | undefined;
  /** Primary key fields, in declaration order (empty when the object has none). */
  pk: readonly FieldModel[];
  /** `FROM` item of this object: the quoted relation, or the view's SQL in parentheses. */
  from: string;
}

export function indexCatalog(model: CatalogModel): Catalog {
  const byName = new Map<string, CatalogObject>();
  for (const object of model.objects) {
    const fields = new Map(object.fields.map((f) => [f.name, f]));
    const relations = new Map(object.relations.map((r) => [r.name, r]));
    byName.set(object.name, {
      model: object,
      field: (name) => fields.get(name),
      relation: (name) => relations.get(name),
      pk: object.fields.filter((f) => f.pk),
      from: object.sql !== undefined ? `(${object.sql})` : qualifiedName(object.sqlName),
    });
  }
  return {
    objects: [...byName.values()],
    object(name) {
      const found = byName.get(name);
      if (!found) throw new Error(`catalog has no object "${name}"`);
      return found;
    },
  };
}

/** `sales.orders` → `"sales"."orders"`; each part quoted, so names are used exactly as written. */
export function qualifiedName(name: string): string {
  return name.split(".").map(quoteIdent).join(".");
}

/** `"alias"."column"` of a field. */
export function fieldRef(alias: string, field: FieldModel): string {
  return `${quoteIdent(alias)}.${quoteIdent(field.column)}`;
}

/** An object as one statement refers to it: its rows under a table alias. */
export interface AliasedObject {
  object: CatalogObject;
  alias: string;
}

/**
 * The join condition of a relation: the source row's fields equal the target row's, pairwise. For a
 * many-to-many relation, a row of the link table holds both rows' keys: an EXISTS rather than a join
 * through the link table, so that a pair linked twice still relates the two rows once.
 */
export function joinCondition(
  c: Compilation,
  relation: RelationModel,
  source: AliasedObject,
  target: AliasedObject,
): string {
  const { through } = relation;
  if (!through) return fieldsEqual(source, relation.sourceFields, target, relation.targetFields);
  const link: AliasedObject = { object: c.catalog.object(through.object), alias: c.alias() };
  const toSource = fieldsEqual(link, through.sourceFields, source, relation.sourceFields);
  const toTarget = fieldsEqual(link, through.targetFields, target, relation.targetFields);
  return `EXISTS (SELECT 1 FROM ${readFrom(c, link.object, link.alias)} WHERE ${toSource} AND ${toTarget})`;
}

/** `left`'s fields equal `right`'s, pairwise, ANDed. */
function fieldsEqual(
  left: AliasedObject,
  leftFields: readonly string[],
  right: AliasedObject,
  rightFields: readonly string[],
): string {
  return leftFields
    .map((name, i) => {
      const leftRef = fieldRef(left.alias, mustField(left.object, name));
      const rightRef = fieldRef(right.alias, mustField(right.object, rightFields[i] ?? ""));
      return `${leftRef} = ${rightRef}`;
    })
    .join(" AND ");
}

export function mustField(object: CatalogObject, name: string): FieldModel {
  const field = object.field(name);
  if (!field) throw new Error(`object "${object.model.name}" has no field "${name}"`);
  return field;
}
