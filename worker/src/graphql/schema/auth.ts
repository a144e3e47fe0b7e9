import { getNamedType, isObjectType, type GraphQLSchema } from "graphql";
import { dataObjectOf } from "../../auth/permissions/validation.js";
import {
  dataObjectDisabled,
  fieldEnabled,
  fieldVisible,
  type PermissionRow,
  type RolePermissions,
} from "../../auth/permissions/rules.js";
import { builder } from "../builder.js";
import type { GraphQLContext } from "../context.js";
import { CoreFunctions } from "./modules.js";

/**
 * `function { core { auth { … } } }`: what the caller is and may do, hugr's self-inspection
 * functions with its names and shapes (its runtime auth module).
 */
type Module = Record<string, never>;
const MODULE: Module = {};

const Me = builder.objectRef<GraphQLContext["identity"]>("auth_me").implement({
  description: "The caller's identity",
  fields: (t) => ({
    user_id: t.exposeString("userId", { nullable: false }),
    user_name: t.exposeString("userName", { nullable: false }),
    role: t.exposeString("role", { nullable: false }),
    auth_type: t.exposeString("authType", { nullable: false }),
    auth_provider: t.exposeString("provider", { nullable: false }),
    impersonated_by_user_id: t.string({ nullable: true, resolve: (i) => i.impersonatedBy?.userId ?? null }),
    impersonated_by_user_name: t.string({
      nullable: true,
      resolve: (i) => i.impersonatedBy?.userName ?? null,
    }),
    impersonated_by_user_role: t.string({ nullable: true, resolve: (i) => i.impersonatedBy?.role ?? null }),
  }),
});

const PermissionEntry = builder.objectRef<PermissionRow>("auth_my_permission_entry").implement({
  description: "One permission row of the caller's role",
  fields: (t) => ({
    object: t.exposeString("typeName", { nullable: false }),
    field: t.exposeString("fieldName", { nullable: false }),
    hidden: t.exposeBoolean("hidden", { nullable: false }),
    disabled: t.exposeBoolean("disabled", { nullable: false }),
    filter: t.field({ type: "JSON", nullable: true, resolve: (p) => p.filter }),
    data: t.field({ type: "JSON", nullable: true, resolve: (p) => p.data }),
  }),
});

const MyPermissions = builder.objectRef<GraphQLContext["permissions"]>("auth_my_permissions").implement({
  description: "The caller's role and its permission rows",
  fields: (t) => ({
    role_name: t.exposeString("role", { nullable: false }),
    disabled: t.exposeBoolean("disabled", { nullable: false }),
    permissions: t.field({ type: [PermissionEntry], resolve: (p) => [...p.rows] }),
  }),
});

interface AccessCheck {
  field: string;
  enabled: boolean;
  visible: boolean;
}

const AccessCheckEntry = builder.objectRef<AccessCheck>("auth_access_check_entry").implement({
  description: "Whether the caller's role may use a field, and sees it in introspection",
  fields: (t) => ({
    field: t.exposeString("field", { nullable: false }),
    enabled: t.exposeBoolean("enabled", { nullable: false }),
    visible: t.exposeBoolean("visible", { nullable: false }),
  }),
});

interface AccessInfo {
  enabled: boolean;
  visible: boolean;
  filter: unknown;
  data: unknown;
}

const AccessInfoRef = builder.objectRef<AccessInfo>("auth_access_info").implement({
  description:
    "The caller's access to a field: allowed, visible, and the row filter and data its rule applies",
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled", { nullable: false }),
    visible: t.exposeBoolean("visible", { nullable: false }),
    filter: t.field({ type: "JSON", nullable: true, resolve: (i) => i.filter ?? null }),
    data: t.field({ type: "JSON", nullable: true, resolve: (i) => i.data ?? null }),
  }),
});

const AuthFunctions = builder.objectRef<Module>("_module_core_auth_function").implement({
  description: "What the caller is and may do",
  fields: (t) => ({
    me: t.field({ type: Me, resolve: (_root, _args, ctx) => ctx.identity }),
    my_permissions: t.field({ type: MyPermissions, resolve: (_root, _args, ctx) => ctx.permissions }),
    check_access: t.field({
      type: [AccessCheckEntry],
      description: "Whether the caller may use each field of a type (a comma-separated list)",
      args: {
        type_name: t.arg.string({ required: true }),
        fields: t.arg.string({ required: true }),
      },
      resolve: (_root, args, ctx, info) =>
        args.fields
          .split(",")
          .map((field) => field.trim())
          .filter((field) => field !== "")
          .map((field) => {
            const object = returnedObject(info.schema, args.type_name, field);
            return {
              field,
              enabled: usable(ctx.permissions, args.type_name, field, object),
              visible: fieldVisible(ctx.permissions, args.type_name, field),
            };
          }),
    }),
    check_access_info: t.field({
      type: AccessInfoRef,
      description: "The caller's access to one field of a type, with the row filter and data of its rule",
      args: {
        type_name: t.arg.string({ required: true }),
        field: t.arg.string({ required: true }),
      },
      resolve: (_root, args, ctx, info) => {
        const { type_name: type, field } = args;
        const { access, permissions } = ctx;
        const object = returnedObject(info.schema, type, field);
        // What reading through this field applies: the field's rule and, when it returns a data
        // object, that object's table-level rule, ANDed as the engine does.
        const filters = [
          access?.fieldFilter(type, field),
          object === undefined ? undefined : access?.objectFilter(object, "query"),
        ].filter((f) => f !== undefined);
        return {
          enabled: usable(permissions, type, field, object),
          visible: fieldVisible(permissions, type, field),
          filter: filters.length > 1 ? { _and: filters } : filters[0],
          data: access?.fieldData(type, field),
        };
      },
    }),
  }),
});

/** The data object a field of the served schema returns (a row or aggregation type), if any. */
function returnedObject(schema: GraphQLSchema, typeName: string, fieldName: string): string | undefined {
  const type = schema.getType(typeName);
  const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
  return field ? dataObjectOf(getNamedType(field.type)) : undefined;
}

/** As the validation rule decides: the field's rule, and the table-level query rule of what it returns. */
function usable(
  permissions: RolePermissions,
  type: string,
  field: string,
  object: string | undefined,
): boolean {
  if (!fieldEnabled(permissions, type, field)) return false;
  return object === undefined || !dataObjectDisabled(permissions, object, "query");
}

builder.objectField(CoreFunctions, "auth", (t) => t.field({ type: AuthFunctions, resolve: () => MODULE }));
