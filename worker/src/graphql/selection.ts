import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/**
 * Whether the current field's selection asks for `name` directly, through an inline fragment or
 * through a named fragment. Lets a resolver skip a join that nobody reads.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return info.fieldNodes.some(
    (node) => node.selectionSet !== undefined && inSet(info, node.selectionSet, name),
  );
}

function inSet(info: GraphQLResolveInfo, set: SelectionSetNode, name: string): boolean {
  return set.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === name;
    if (selection.kind === Kind.INLINE_FRAGMENT) return inSet(info, selection.selectionSet, name);
    const fragment = info.fragments[selection.name.value];
    return fragment !== undefined && inSet(info, fragment.selectionSet, name);
  });
}
