import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { getNamedType, type GraphQLOutputType, type GraphQLSchema } from "graphql";
import { fieldVisible, type RolePermissions } from "./rules.js";
import { dataObjectOf } from "./validation.js";

const visible = new WeakMap<GraphQLSchema, Map<string, GraphQLSchema>>();

/** Filtered schemas kept per served schema: one per set of rules in use, the oldest dropped first. */
const SCHEMAS_PER_SCHEMA = 32;

/**
 * The schema as the role's introspection shows it: fields (and input fields) whose rule is hidden
 * left out, and fields returning a data object hidden by its table-level query row. Hidden is not
 * disabled: the fields stay queryable, so only introspection runs on this schema. Built once per
 * schema and set of rules (their fingerprint).
 */
export function visibleSchema(schema: GraphQLSchema, permissions: RolePermissions): GraphQLSchema {
  let bySchema = visible.get(schema);
  if (!bySchema) visible.set(schema, (bySchema = new Map<string, GraphQLSchema>()));
  let filtered = bySchema.get(permissions.fingerprint);
  if (!filtered) {
    filtered = hideFields(schema, permissions);
    if (bySchema.size >= SCHEMAS_PER_SCHEMA) bySchema.delete(bySchema.keys().next().value as string);
    bySchema.set(permissions.fingerprint, filtered);
  }
  return filtered;
}

function hideFields(schema: GraphQLSchema, permissions: RolePermissions): GraphQLSchema {
  const hiddenObject = (type: GraphQLOutputType) => {
    const object = dataObjectOf(getNamedType(type));
    return object !== undefined && (permissions.dataObject("query", object)?.hidden ?? false);
  };
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) =>
      fieldVisible(permissions, typeName, fieldName) && !hiddenObject(config.type) ? config : null,
    [MapperKind.INPUT_OBJECT_FIELD]: (config, fieldName, typeName) =>
      fieldVisible(permissions, typeName, fieldName) ? config : null,
  });
}
