import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type SelectionSetNode,
} from "graphql";
import type { FieldModel, RelationModel } from "../catalogs/index.js";

/**
 * What a generated GraphQL field stands for, attached to the field as `extensions.hugr` when the
 * schema is built, so that turning a selection into SQL never has to parse field names.
 */
export type FieldMeta =
  | { kind: "column"; field: FieldModel }
  | { kind: "relation"; relation: RelationModel }
  | { kind: "relation_aggregation"; relation: RelationModel }
  | { kind: "rows_count" }
  | { kind: "field_aggregation"; field: FieldModel }
  | { kind: "aggregate"; fn: AggregateFunction };

export type AggregateFunction = "count" | "sum" | "avg" | "min" | "max" | "bool_and" | "bool_or";

/** One requested field under its response key (alias or name), with its arguments and sub-selection. */
export interface PlannedField {
  key: string;
  meta: FieldMeta;
  args: Record<string, unknown>;
  selection: PlannedField[];
}

export interface SelectionInput {
  fieldNodes: readonly FieldNode[];
  fragments: Record<string, FragmentDefinitionNode>;
  variableValues: Record<string, unknown>;
}

/**
 * The fields requested under the current field, merged by response key as GraphQL merges them
 * (fragments spread, @skip/@include applied). Fields without hugr metadata (`__typename`) are left to
 * graphql-js, which answers them without data.
 */
export function planSelection(input: SelectionInput, type: GraphQLObjectType): PlannedField[] {
  return planFields(input, type, input.fieldNodes);
}

function planFields(
  input: SelectionInput,
  type: GraphQLObjectType,
  nodes: readonly FieldNode[],
): PlannedField[] {
  const grouped = new Map<string, FieldNode[]>();
  for (const node of nodes) if (node.selectionSet) collect(input, node.selectionSet, grouped);
  const planned: PlannedField[] = [];
  for (const [key, fieldNodes] of grouped) {
    const first = fieldNodes[0];
    if (!first) continue;
    const def = type.getFields()[first.name.value];
    const meta = def?.extensions["hugr"] as FieldMeta | undefined;
    if (!def || !meta) continue;
    planned.push({
      key,
      meta,
      args: getArgumentValues(def, first, input.variableValues),
      selection: subSelection(input, def, fieldNodes),
    });
  }
  return planned;
}

function subSelection(
  input: SelectionInput,
  def: GraphQLField<unknown, unknown>,
  nodes: FieldNode[],
): PlannedField[] {
  const named = getNamedType(def.type);
  return isObjectType(named) ? planFields(input, named, nodes) : [];
}

function collect(input: SelectionInput, set: SelectionSetNode, into: Map<string, FieldNode[]>): void {
  for (const selection of set.selections) {
    if (!included(input, selection)) continue;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      into.set(key, [...(into.get(key) ?? []), selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collect(input, selection.selectionSet, into);
    } else {
      const fragment = input.fragments[selection.name.value];
      if (fragment) collect(input, fragment.selectionSet, into);
    }
  }
}

function included(input: SelectionInput, node: Parameters<typeof getDirectiveValues>[1]): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, input.variableValues)?.["if"] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, input.variableValues)?.["if"] !== false;
}
