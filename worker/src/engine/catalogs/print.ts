/**
 * Renders a {@link CatalogModel} as hugr SDL, so an introspected (self-defined) source can show what it
 * found, in the form a catalog would declare it. `parseCatalog` of the result gives the model back.
 */
import {
  Kind,
  print,
  type ConstArgumentNode,
  type ConstDirectiveNode,
  type ConstObjectFieldNode,
  type ConstValueNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
  type StringValueNode,
  type TypeNode,
} from "graphql";
import { CatalogError } from "./errors.js";
import type { CatalogModel, FieldModel, ObjectModel, RelationModel } from "./model.js";

/** A relation as SDL declares it: once, on the referencing side, with its reverse when there is one. */
interface Declaration {
  one: RelationModel;
  many: RelationModel | undefined;
}

/** The model as SDL documents in model order; throws a CatalogError for what SDL cannot express. */
export function printCatalog(model: CatalogModel): string {
  const declarations = pairRelations(model);
  const definitions = model.objects.map((object) => objectNode(object, declarations.get(object) ?? []));
  return `${print({ kind: Kind.DOCUMENT, definitions })}\n`;
}

/**
 * Pairs each "one" relation with the "many" relation that is its reverse (for a link table's, the
 * many-to-many relation its `references_query` names); a lone "many" has no SDL form.
 */
function pairRelations(model: CatalogModel): Map<ObjectModel, Declaration[]> {
  const reverses = model.objects.flatMap((owner) =>
    owner.relations.filter((relation) => relation.kind === "many").map((relation) => ({ owner, relation })),
  );
  const declarations = new Map<ObjectModel, Declaration[]>();
  for (const owner of model.objects) {
    const ones = owner.relations.filter((relation) => relation.kind === "one");
    if (owner.m2m && ones.length !== 2) {
      throw new CatalogError(
        `link table '${owner.name}' has ${ones.length} many-to-one relation(s); SDL declares a link table with exactly two references`,
      );
    }
    const own = ones.map((one) => {
      const other = owner.m2m ? ones.find((relation) => relation !== one) : undefined;
      const index = reverses.findIndex(
        ({ owner: target, relation }) =>
          target.name === one.target && isReverse({ owner, one, other }, relation),
      );
      return { one, many: index < 0 ? undefined : reverses.splice(index, 1)[0]?.relation };
    });
    declarations.set(owner, own);
  }
  const lone = reverses[0];
  if (lone) {
    const { through, target } = lone.relation;
    throw new CatalogError(
      `relation '${lone.owner.name}.${lone.relation.name}' has no matching relation on ` +
        `${through ? `its link table '${through.object}'` : `'${target}'`}; SDL declares a relation on the referencing side`,
    );
  }
  return declarations;
}

/**
 * Whether `relation`, on the object `one` points at, is what `one`'s `references_query` declares: the
 * reverse of `one`, or, on a link table (`other` is its second reference), the relation from the
 * object `one` points at to the object `other` points at, through the link table.
 */
function isReverse(
  { owner, one, other }: { owner: ObjectModel; one: RelationModel; other: RelationModel | undefined },
  relation: RelationModel,
): boolean {
  const { through } = relation;
  if (!other) {
    return (
      !through &&
      relation.target === owner.name &&
      sameNames(relation.sourceFields, one.targetFields) &&
      sameNames(relation.targetFields, one.sourceFields)
    );
  }
  return (
    through !== undefined &&
    through.object === owner.name &&
    sameNames(through.sourceFields, one.sourceFields) &&
    sameNames(relation.sourceFields, one.targetFields) &&
    relation.target === other.target &&
    sameNames(through.targetFields, other.sourceFields) &&
    sameNames(relation.targetFields, other.targetFields)
  );
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

function objectNode(object: ObjectModel, declarations: readonly Declaration[]): ObjectTypeDefinitionNode {
  // A single-field relation reads best on its field; a multi-field one can only be on the type.
  const onField = (declaration: Declaration): boolean =>
    declaration.one.sourceFields.length === 1 &&
    object.fields.some((f) => f.name === declaration.one.sourceFields[0]);
  const dataObject =
    object.kind === "table"
      ? directive("table", [
          arg("name", string(object.sqlName)),
          ...(object.m2m ? [arg("is_m2m", { kind: Kind.BOOLEAN, value: true })] : []),
        ])
      : directive("view", [arg("name", string(object.sqlName)), ...optional("sql", object.sql)]);
  const uniques = object.uniques.map((unique) =>
    directive("unique", [
      arg("fields", strings(unique.fields)),
      ...(unique.querySuffix === unique.fields.join("_")
        ? []
        : [arg("query_suffix", string(`by_${unique.querySuffix}`))]),
    ]),
  );
  const references = declarations
    .filter((declaration) => !onField(declaration))
    .map(({ one, many }) =>
      directive("references", [
        arg("references_name", string(one.target)),
        arg("source_fields", strings(one.sourceFields)),
        arg("references_fields", strings(one.targetFields)),
        ...relationArgs(one, many),
      ]),
    );
  return {
    kind: Kind.OBJECT_TYPE_DEFINITION,
    ...descriptionNode(object.description),
    name: name(object.name),
    directives: [dataObject, ...uniques, ...references],
    fields: object.fields.map((field) =>
      fieldNode(
        field,
        declarations.filter(
          (declaration) => onField(declaration) && declaration.one.sourceFields[0] === field.name,
        ),
      ),
    ),
  };
}

function fieldNode(field: FieldModel, declarations: readonly Declaration[]): FieldDefinitionNode {
  const directives = [
    ...(field.pk ? [directive("pk", [])] : []),
    ...(field.column === field.name ? [] : [directive("field_source", [arg("field", string(field.column))])]),
    ...(field.default ? [defaultDirective(field)] : []),
    ...declarations.map(({ one, many }) =>
      directive("field_references", [
        arg("references_name", string(one.target)),
        arg("field", string(one.targetFields[0] ?? "")),
        ...relationArgs(one, many),
      ]),
    ),
  ];
  return {
    kind: Kind.FIELD_DEFINITION,
    ...descriptionNode(field.description),
    name: name(field.name),
    type: typeNode(field),
    directives,
  };
}

function defaultDirective(field: FieldModel): ConstDirectiveNode {
  const { value, sequence } = field.default ?? {};
  const args = [
    ...(field.default && "value" in field.default ? [arg("value", literal(value, field.name))] : []),
    ...optional("sequence", sequence),
  ];
  return directive("default", args);
}

function relationArgs(one: RelationModel, many: RelationModel | undefined): ConstArgumentNode[] {
  return [
    arg("query", string(one.name)),
    ...optional("description", one.description),
    ...optional("references_query", many?.name),
    ...optional("references_description", many?.description),
  ];
}

function typeNode(field: FieldModel): TypeNode {
  const named = { kind: Kind.NAMED_TYPE, name: name(field.type) } as const;
  const listed = field.list ? ({ kind: Kind.LIST_TYPE, type: named } as const) : named;
  return field.nonNull ? { kind: Kind.NON_NULL_TYPE, type: listed } : listed;
}

/** A `@default(value:)` as a GraphQL literal; values with no literal form (NaN, non-name keys) are errors. */
function literal(value: unknown, field: string): ConstValueNode {
  if (value === null) return { kind: Kind.NULL };
  if (typeof value === "string") return string(value);
  if (typeof value === "boolean") return { kind: Kind.BOOLEAN, value };
  if (typeof value === "number" && Number.isFinite(value)) {
    const text = String(value);
    return { kind: /^-?\d+$/.test(text) ? Kind.INT : Kind.FLOAT, value: text };
  }
  if (Array.isArray(value)) return { kind: Kind.LIST, values: value.map((item) => literal(item, field)) };
  if (typeof value === "object" && Object.keys(value).every((key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key))) {
    const fields = Object.entries(value).map(([key, item]): ConstObjectFieldNode => ({
      kind: Kind.OBJECT_FIELD,
      name: name(key),
      value: literal(item, field),
    }));
    return { kind: Kind.OBJECT, fields };
  }
  throw new CatalogError(
    `the default of field '${field}' (${JSON.stringify(value)}) has no GraphQL literal form`,
  );
}

function directive(directiveName: string, args: ConstArgumentNode[]): ConstDirectiveNode {
  return { kind: Kind.DIRECTIVE, name: name(directiveName), arguments: args };
}

function arg(argName: string, value: ConstValueNode): ConstArgumentNode {
  return { kind: Kind.ARGUMENT, name: name(argName), value };
}

function optional(argName: string, value: string | undefined): ConstArgumentNode[] {
  return value === undefined ? [] : [arg(argName, string(value))];
}

function string(value: string): StringValueNode {
  return { kind: Kind.STRING, value };
}

function strings(values: readonly string[]): ConstValueNode {
  return { kind: Kind.LIST, values: values.map(string) };
}

function name(value: string): { kind: Kind.NAME; value: string } {
  return { kind: Kind.NAME, value };
}

/** Multi-line descriptions print as `"""` blocks, one-liners as strings: both parse back to the same text. */
function descriptionNode(description: string | undefined): { description?: StringValueNode } {
  return description
    ? { description: { kind: Kind.STRING, value: description, block: description.includes("\n") } }
    : {};
}
