import {
  GraphQLError,
  getNamedType,
  isObjectType,
  type GraphQLNamedType,
  type ValidationRule,
} from "graphql";
import { dataObjectDisabled, fieldEnabled, type RolePermissions } from "./rules.js";

/**
 * The data object a type stands for: set by the engine on each object's row and aggregation types
 * (engine/graphql/build.ts), so table-level rules reach every field that returns one.
 */
export function dataObjectOf(type: GraphQLNamedType): string | undefined {
  const value = (type.extensions as { hugrDataObject?: unknown } | undefined)?.hugrDataObject;
  return typeof value === "string" ? value : undefined;
}

export function forbiddenError(typeName: string, fieldName: string): GraphQLError {
  return new GraphQLError(`forbidden: ${typeName}.${fieldName}`, { extensions: { code: "FORBIDDEN" } });
}

/**
 * hugr's permission check as a validation rule: a document selecting a field the role may not use
 * (its most specific row is disabled, or it returns a data object whose table-level query row is)
 * is refused as a whole with `forbidden`. Introspection fields are never refused, but a disabled
 * role is refused everything. Named after the rules' fingerprint: yoga caches validation results by
 * the rules' names, so equal rules share results and changed ones never reuse the old.
 */
export function permissionRule(permissions: RolePermissions): ValidationRule {
  const name = `HugrPermissions_${permissions.fingerprint}`;
  const rule: ValidationRule = (context) => ({
    Field(node) {
      const parent = context.getParentType();
      if (!parent) return;
      const field = node.name.value;
      const meta = parent.name.startsWith("__") || field.startsWith("__");
      if (meta ? !permissions.disabled : fieldEnabled(permissions, parent.name, field)) {
        const definition = context.getFieldDef();
        const returned = definition ? getNamedType(definition.type) : undefined;
        const object = returned && isObjectType(returned) ? dataObjectOf(returned) : undefined;
        if (object === undefined || !dataObjectDisabled(permissions, object, "query")) return;
      }
      context.reportError(forbiddenError(parent.name, field));
    },
  });
  Object.defineProperty(rule, "name", { value: name });
  return rule;
}
