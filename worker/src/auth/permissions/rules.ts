import { createHash } from "node:crypto";
import { hasPlaceholder } from "./placeholders.js";

/**
 * A role's permission rows and hugr's rules for reading them (pkg/perm in hugr's query engine):
 * the most specific row for (type, field) decides everything about the field, and no row allows.
 */

/** A row of hugr's `permissions` table. */
export interface PermissionRow {
  typeName: string;
  fieldName: string;
  hidden: boolean;
  disabled: boolean;
  filter: Record<string, unknown> | null;
  data: Record<string, unknown> | null;
}

export type DataObjectOp = "query" | "insert" | "update" | "delete";

/** Table-level rows: `type_name` `data-object:<op>`, `field_name` the object type or `*`. */
export const DATA_OBJECT_PREFIX = "data-object:";

export interface RolePermissions {
  role: string;
  disabled: boolean;
  canImpersonate: boolean;
  rows: readonly PermissionRow[];
  /**
   * A digest of the rows: equal for equal rules, whenever they were read. What was derived from the
   * rules (compiled statements, validation results, filtered schemas) is kept under it, so a change
   * to a role's rules is never answered from what its old rules produced.
   */
  fingerprint: string;
  /** Whether a rule uses `[$auth.*]` placeholders: what it allows then depends on who asks. */
  personal: boolean;
  /** Exact (type, field) > (type, *) > (*, field) > (*, *); undefined: no row, allowed. */
  match(typeName: string, fieldName: string): PermissionRow | undefined;
  /** The table-level row of `op` for the object type: its own, else the `*` one. */
  dataObject(op: DataObjectOp, objectType: string): PermissionRow | undefined;
  /** Whether any row hides something (introspection then needs a filtered schema). */
  hides: boolean;
}

export function rolePermissions(
  role: { name: string; disabled: boolean; canImpersonate: boolean },
  rows: readonly PermissionRow[],
): RolePermissions {
  // Rows by key, so a field's rule costs at most four lookups rather than a scan of the role's rows.
  const byKey = new Map<string, PermissionRow>();
  for (const row of rows) {
    const key = `${row.typeName}\u0000${row.fieldName}`;
    if (!byKey.has(key)) byKey.set(key, row);
  }
  const get = (type: string, field: string) => byKey.get(`${type}\u0000${field}`);
  return {
    role: role.name,
    disabled: role.disabled,
    canImpersonate: role.canImpersonate,
    rows,
    fingerprint: createHash("sha256").update(JSON.stringify(rows)).digest("base64url").slice(0, 22),
    personal: rows.some((row) => hasPlaceholder(row.filter) || hasPlaceholder(row.data)),
    match: (type, field) => get(type, field) ?? get(type, "*") ?? get("*", field) ?? get("*", "*"),
    dataObject: (op, objectType) =>
      get(`${DATA_OBJECT_PREFIX}${op}`, objectType) ?? get(`${DATA_OBJECT_PREFIX}${op}`, "*"),
    hides: rows.some((row) => row.hidden),
  };
}

/** Whether the role may use the field (hugr: disabled refuses; a disabled role refuses everything). */
export function fieldEnabled(permissions: RolePermissions, typeName: string, fieldName: string): boolean {
  if (permissions.disabled) return false;
  return !(permissions.match(typeName, fieldName)?.disabled ?? false);
}

/** Whether introspection shows the field to the role. */
export function fieldVisible(permissions: RolePermissions, typeName: string, fieldName: string): boolean {
  if (permissions.disabled) return false;
  return !(permissions.match(typeName, fieldName)?.hidden ?? false);
}

/**
 * Whether the table-level rows refuse `op` on the object type: its own row, and for writes also the
 * query row (a role that may not read a table may not change it), as in hugr.
 */
export function dataObjectDisabled(
  permissions: RolePermissions,
  objectType: string,
  op: DataObjectOp,
): boolean {
  if (permissions.disabled) return true;
  if (permissions.dataObject(op, objectType)?.disabled) return true;
  return op !== "query" && (permissions.dataObject("query", objectType)?.disabled ?? false);
}

/** The table-level filter of `op`: its own row's, else (update, delete) the query row's, as in hugr. */
export function dataObjectFilter(
  permissions: RolePermissions,
  objectType: string,
  op: DataObjectOp,
): Record<string, unknown> | undefined {
  const own = permissions.dataObject(op, objectType)?.filter;
  if (own && Object.keys(own).length > 0) return own;
  if (op === "query") return undefined;
  const query = permissions.dataObject("query", objectType)?.filter;
  return query && Object.keys(query).length > 0 ? query : undefined;
}
