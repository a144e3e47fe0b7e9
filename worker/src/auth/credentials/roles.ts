import { forbidden, type Identity } from "../identity.js";

/**
 * The role of a credential that names none: a token without a role claim or role scope, a managed
 * key with neither `default_role` nor `claims.role`. hugr leaves the role empty there, which then
 * fails as an unknown role (403) — or, worse, lets the role header pick any role. Ours is hugr's
 * seeded least-privileged role: the credential still proves who is asking, and an operator who
 * wants such callers refused disables (or removes) the `public` role, which makes them a 403.
 */
export const NO_ROLE_FALLBACK = "public";

export const NO_CLAIMS: Identity["claims"] = Object.freeze({});

/**
 * The role a request gets: the role header's, when the credential grants it, else the credential's
 * default. hugr lets the header choose ANY role; ours only lets it choose among the roles the
 * credential grants (its default is always granted), and refuses any other with 403.
 */
export function chooseRole(
  requested: string | null | undefined,
  fallback: string,
  granted: readonly string[],
): string {
  if (!requested || requested === fallback) return fallback;
  if (granted.includes(requested)) return requested;
  throw forbidden(`role ${quoted(requested)} is not granted by this credential`);
}

/** A role name as error messages show it: quoted, and cut short when a header sent a long one. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);
}

/** The scalar claims of a token or a managed key, for `[$auth.<claim>]` placeholders. */
export function scalarClaims(source: Readonly<Record<string, unknown>>): Identity["claims"] {
  let claims: Record<string, string | number | boolean> | undefined;
  for (const name in source) {
    const value = source[name];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      (claims ??= {})[name] = value;
    }
  }
  return claims ?? NO_CLAIMS;
}

/** A claim as a non-empty string (numbers too: a numeric `sub` is a user id), else undefined. */
export function claimString(value: unknown): string | undefined {
  if (typeof value === "string") return value || undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}
