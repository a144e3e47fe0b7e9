import type { AccessRules } from "../../engine/index.js";
import type { Identity } from "../identity.js";
import { authVariables, substitute } from "./placeholders.js";
import { dataObjectDisabled, dataObjectFilter, fieldEnabled, type RolePermissions } from "./rules.js";

/**
 * The engine's view of a role's permissions for one identity: placeholders replaced with its values.
 * The key is the rules' fingerprint, plus the identity's values when a rule uses placeholders, so
 * statements compiled for one user, or under rules since changed, never serve another.
 */
export function accessRules(identity: Identity, permissions: RolePermissions): AccessRules {
  const { personal } = permissions;
  let vars: Map<string, unknown> | undefined;
  const resolve = (
    value: Record<string, unknown> | null | undefined,
  ): Record<string, unknown> | undefined => {
    if (!value || Object.keys(value).length === 0) return undefined;
    if (!personal) return value;
    vars ??= authVariables(identity);
    return substitute(value, vars) as Record<string, unknown>;
  };
  return {
    key: personal
      ? `${permissions.fingerprint}\u0000${JSON.stringify([...(vars ??= authVariables(identity))])}`
      : permissions.fingerprint,
    fieldFilter: (type, field) => resolve(permissions.match(type, field)?.filter),
    fieldData: (type, field) => resolve(permissions.match(type, field)?.data),
    fieldEnabled: (type, field) => fieldEnabled(permissions, type, field),
    objectFilter: (type, op) => resolve(dataObjectFilter(permissions, type, op)),
    objectData: (type, op) => resolve(permissions.dataObject(op, type)?.data),
    objectDisabled: (type, op) => dataObjectDisabled(permissions, type, op),
  };
}
