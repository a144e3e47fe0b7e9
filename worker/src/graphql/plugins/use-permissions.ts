import { Kind, type DocumentNode, type ExecutionArgs } from "graphql";
import type { Plugin } from "graphql-yoga";
import { permissionRule, visibleSchema, type RequestAuth } from "../../auth/index.js";
import type { GraphQLContext } from "../context.js";

/**
 * The role's field rules: a document using a disabled field is refused as a whole at validation
 * (yoga caches the result per permission set, see permissionRule); introspection runs on the
 * schema as the role may see it, hidden fields left out. A role without rules costs nothing.
 */
export function usePermissions(): Plugin<GraphQLContext> {
  return {
    onValidate({ context, addValidationRule }) {
      // Validation runs before yoga builds the request's context: the server context carries them.
      const { permissions } = (context as unknown as { auth: RequestAuth }).auth;
      if (permissions.rows.length > 0 || permissions.disabled) addValidationRule(permissionRule(permissions));
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const { contextValue, document, schema: served } = args as ExecutionArgs;
      const { permissions } = contextValue as GraphQLContext;
      if (!permissions.hides || !introspects(document)) return;
      const schema = visibleSchema(served, permissions);
      setExecuteFn((execution: ExecutionArgs): unknown => executeFn({ ...execution, schema }) as unknown);
    },
  };
}

/** Whether an operation of the document asks for `__schema` or `__type` at its root. */
function introspects(document: DocumentNode): boolean {
  return document.definitions.some(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      definition.selectionSet.selections.some(
        (selection) =>
          selection.kind === Kind.FIELD &&
          (selection.name.value === "__schema" || selection.name.value === "__type"),
      ),
  );
}
