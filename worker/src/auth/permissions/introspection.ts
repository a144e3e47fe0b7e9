import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { getNamedType, type GraphQLOutputType, type GraphQLSchema } from "graphql";
import { fieldVisible, type RolePermissions } from "./rules.js";
import { dataObjectOf } from "./validation.js";

const visible = new WeakMap<GraphQLSchema, WeakMap<RolePermissions, GraphQLSchema>>();

/**
 * The schema as the role's introspection shows it: fields (and input fields) whose rule is hidden
 * left out, and fields returning a data object hidden by its table-level query row. Hidden is not
 * disabled: the fields stay queryable, so only introspection runs on this schema. Built once per
 * schema and permission set.
 */
export function visibleSchema(schema: GraphQLSchema, permissions: RolePermissions): GraphQLSchema {
  let bySchema = visible.get(schema);
  if (!bySchema) visible.set(schema, (bySchema = new WeakMap()));
  let filtered = bySchema.get(permissions);
  if (!filtered) {
    filtered = hideFields(schema, permissions);
    bySchema.set(permissions, filtered);
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
