import type { Identity } from "../identity.js";

/** `[$auth.<name>]` values of an identity, as hugr names them; token and key claims first, so built-ins win. */
export function authVariables(identity: Identity): Map<string, unknown> {
  const vars = new Map<string, unknown>();
  for (const [name, value] of Object.entries(identity.claims)) vars.set(`[$auth.${name}]`, value);
  const userIdInt = Number.parseInt(identity.userId, 10);
  vars.set("[$auth.user_id]", identity.userId);
  vars.set("[$auth.user_id_int]", Number.isSafeInteger(userIdInt) ? userIdInt : 0);
  vars.set("[$auth.user_name]", identity.userName);
  vars.set("[$auth.role]", identity.role);
  vars.set("[$auth.auth_type]", identity.authType);
  vars.set("[$auth.provider]", identity.provider);
  if (identity.impersonatedBy) {
    vars.set("[$auth.impersonated_by_role]", identity.impersonatedBy.role);
    vars.set("[$auth.impersonated_by_user_id]", identity.impersonatedBy.userId);
    vars.set("[$auth.impersonated_by_user_name]", identity.impersonatedBy.userName);
  }
  return vars;
}

/**
 * `value` with every string that is exactly a known placeholder replaced by its value (a placeholder
 * replaces a whole string, never part of one, as in hugr). The input is never changed.
 */
export function substitute(value: unknown, vars: ReadonlyMap<string, unknown>): unknown {
  if (typeof value === "string") return vars.has(value) ? vars.get(value) : value;
  if (Array.isArray(value)) return value.map((item) => substitute(item, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

/** Whether a rule's value uses any placeholder (its result then depends on who asks, not just the role). */
export function hasPlaceholder(value: unknown): boolean {
  if (typeof value === "string") return value.startsWith("[$auth.") && value.endsWith("]");
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasPlaceholder);
  return false;
}
