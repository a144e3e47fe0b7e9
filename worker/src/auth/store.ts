import { createHash } from "node:crypto";
import type { ReadThrough } from "@hugr/coredb";
import type { Cache } from "../cache/index.js";
import { objectTag } from "../engine/caching/results.js";
import type { CredentialStore, ManagedApiKey, RoleInfo } from "./identity.js";
import { rolePermissions, type PermissionRow, type RolePermissions } from "./permissions/rules.js";

/** What requests look up in the core database: roles, their permissions, managed API keys. */
export interface AuthStore extends CredentialStore {
  /** The role's permissions; undefined when the role does not exist. */
  permissions(role: string): Promise<RolePermissions | undefined>;
}

interface RoleRow {
  name: string;
  role_disabled: boolean;
  can_impersonate: boolean;
  type_name: string | null;
  field_name: string | null;
  hidden: boolean | null;
  disabled: boolean | null;
  filter: unknown;
  data: unknown;
}

interface ApiKeyRow {
  name: string;
  default_role: string | null;
  disabled: boolean;
  is_temporal: boolean;
  expires_at: Date | string | null;
  headers: unknown;
  claims: unknown;
}

/**
 * Reads through the node's cache when it is on (see cachedLookups), and always through the core
 * database's read cache, which every write through any node invalidates at once (NOTIFY): a role,
 * permission or key changed on one node applies on every node at once. A role's permissions are
 * built once per answer (keyed by the answer itself), so a hot role costs a map lookup per request.
 */
export function createAuthStore(db: ReadThrough, cache?: Cache): AuthStore {
  const built = new WeakMap<object, RolePermissions>();
  const through: Lookup = cache?.enabled ? cachedLookups(cache) : (_key, _tags, read) => read();
  const roleRows = (role: string) =>
    through(`auth:role:${role}`, [objectTag("roles"), objectTag("role_permissions")], () =>
      db.cachedQuery<RoleRow>(
        `SELECT r.name, r.disabled AS role_disabled, r.can_impersonate,
                p.type_name, p.field_name, p.hidden, p.disabled, p.filter, p.data
           FROM roles r LEFT JOIN permissions p ON p.role = r.name
          WHERE r.name = $1
          ORDER BY p.type_name, p.field_name`,
        [role],
      ),
    );
  return {
    async role(name): Promise<RoleInfo | undefined> {
      const [row] = await roleRows(name);
      return row && { name: row.name, disabled: row.role_disabled, canImpersonate: row.can_impersonate };
    },
    async permissions(name) {
      const rows = await roleRows(name);
      const [first] = rows;
      if (!first) return undefined;
      let permissions = built.get(rows);
      if (!permissions) {
        permissions = rolePermissions(
          { name: first.name, disabled: first.role_disabled, canImpersonate: first.can_impersonate },
          rows.filter((row) => row.type_name !== null).map(permissionRow),
        );
        built.set(rows, permissions);
      }
      return permissions;
    },
    async apiKey(key): Promise<ManagedApiKey | undefined> {
      // Kept under the key's digest: a key never appears in the cache's key names (Redis, Memcached).
      const digest = createHash("sha256").update(key).digest("base64url");
      const [row] = await through(`auth:api-key:${digest}`, [objectTag("api_keys")], () =>
        db.cachedQuery<ApiKeyRow>(
          `SELECT name, default_role, disabled, is_temporal, expires_at, headers, claims
             FROM api_keys WHERE key = $1`,
          [key],
        ),
      );
      if (!row) return undefined;
      const headers = jsonObject(row.headers);
      return {
        name: row.name,
        defaultRole: row.default_role,
        disabled: row.disabled,
        isTemporal: row.is_temporal,
        expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
        headers: {
          ...stringField(headers, "role", "role"),
          ...stringField(headers, "user_id", "userId"),
          ...stringField(headers, "user_name", "userName"),
        },
        claims: jsonObject(row.claims),
      };
    },
  };
}

/** A read of core rows, through the cache or not. */
type Lookup = <T>(key: string, tags: string[], read: () => Promise<T[]>) => Promise<T[]>;

/** Parsed answers kept per cached text, so a hot role's rows (and what is built from them) are reused. */
const PARSED_ANSWERS = 256;

/**
 * Lookups through the node's cache (L1, and L2 shared by the cluster), as hugr caches role
 * permissions and managed keys: tagged with the core tables they read, which every write through the
 * engine drops on every node. Direct SQL changes wait for CACHE_TTL, as in hugr.
 */
function cachedLookups(cache: Cache): Lookup {
  const parsed = new Map<string, unknown[]>();
  return async <T>(key: string, tags: string[], read: () => Promise<T[]>): Promise<T[]> => {
    const text = (await cache.getOrLoad(key, async () => JSON.stringify(await read()), { tags })).toString();
    let rows = parsed.get(text);
    if (!rows) {
      rows = JSON.parse(text) as unknown[];
      if (parsed.size >= PARSED_ANSWERS) parsed.delete(parsed.keys().next().value as string);
      parsed.set(text, rows);
    }
    return rows as T[];
  };
}

function permissionRow(row: RoleRow): PermissionRow {
  const filter = jsonObject(row.filter);
  const data = jsonObject(row.data);
  return {
    typeName: row.type_name ?? "",
    fieldName: row.field_name ?? "",
    hidden: row.hidden ?? false,
    disabled: row.disabled ?? false,
    filter: Object.keys(filter).length > 0 ? filter : null,
    data: Object.keys(data).length > 0 ? data : null,
  };
}

/** A JSON column's object (PostgreSQL gives it parsed; text is parsed); anything else is empty. */
function jsonObject(value: unknown): Record<string, unknown> {
  const parsed = typeof value === "string" ? safeParse(value) : value;
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function stringField<K extends string>(
  source: Record<string, unknown>,
  name: string,
  as: K,
): Partial<Record<K, string>> {
  const value = source[name];
  return typeof value === "string" && value !== "" ? ({ [as]: value } as Partial<Record<K, string>>) : {};
}
