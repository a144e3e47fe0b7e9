/**
 * The authentication policy a node enforces: hugr's environment variables and auth file, merged and
 * checked once (buildAuthPolicy), in the shape the provider chain reads. The management node builds
 * it too, only to refuse a bad configuration at start; work nodes build it from the settings they
 * receive, so both read one configuration the same way.
 */

/** Request headers hugr reads the role and user from (its defaults). */
export interface IdentityHeaders {
  role: string;
  userId: string;
  userName: string;
}

/** Where a token's role and user come from: claim names (hugr's `claims` block). */
export interface ClaimNames {
  role: string;
  userId: string;
  userName: string;
}

/** A key from the auth file's `api-keys` (hugr's static API keys). */
export interface StaticApiKeyPolicy {
  /** The entry's name, the identity's provider. */
  name: string;
  key: string;
  /** Header the key is sent in; default x-hugr-api-key. */
  header: string;
  /** Role when the request names none; hugr's default is admin. */
  defaultRole: string;
  /**
   * Roles the role header may choose (ours: hugr lets it choose any role): the default role plus
   * the entry's `allowed-roles`.
   */
  allowedRoles: readonly string[];
  headers: IdentityHeaders;
}

/** Where a JWT provider gets its verification keys. */
export type JwtKeySource = { kind: "pem"; pem: string } | { kind: "jwks"; url: string };

/** A JWT provider from the auth file's `jwt` block. */
export interface JwtPolicy {
  name: string;
  keys: JwtKeySource;
  /** Checked against `iss` when set (hugr checks neither issuer nor audience). */
  issuer?: string;
  audience?: string;
  /** Cookie the token may come in after the Authorization header. */
  cookieName?: string;
  /** The first `scopes` entry with this prefix names the role when the token has no role claim. */
  scopeRolePrefix?: string;
  /** Request header that may choose among the roles the token grants. */
  roleHeader: string;
  claims: ClaimNames;
}

/** OIDC: discovery from the issuer, the provider's JWKS, audience = client id. */
export interface OidcPolicy {
  issuer: string;
  clientId: string;
  cookieName?: string;
  scopeRolePrefix?: string;
  roleHeader: string;
  claims: ClaimNames;
  /** OIDC_TIMEOUT: discovery and key fetches. */
  timeoutMs: number;
  /** OIDC_TLS_INSECURE: skip TLS verification of the issuer (tests, private CAs). */
  tlsInsecure: boolean;
}

export interface AuthPolicy {
  /**
   * Nothing configured at all (no secret key, auth file, OIDC): anonymous requests are admin, as in
   * hugr, and nodes warn at start.
   */
  open: boolean;
  anonymous: { allowed: boolean; role: string };
  /** x-hugr-secret-key: admin. */
  secretKey?: string;
  /** ALLOW_MANAGED_API_KEYS / `managed-api-keys`: keys of core.api_keys in the x-hugr-api-key header. */
  managedApiKeys: boolean;
  apiKeys: readonly StaticApiKeyPolicy[];
  jwt: readonly JwtPolicy[];
  oidc?: OidcPolicy;
  /** Impersonation headers (hugr's names). */
  impersonation: IdentityHeaders;
  /**
   * What a node should log as warnings at start: an open configuration, one that refuses every
   * request, settings of the auth file that do not do what they seem to (hugr's rules).
   */
  warnings?: readonly string[];
}

/** hugr's header names. */
export const DEFAULT_IDENTITY_HEADERS: IdentityHeaders = {
  role: "x-hugr-role",
  userId: "x-hugr-user-id",
  userName: "x-hugr-user-name",
};
export const DEFAULT_CLAIMS: ClaimNames = { role: "x-hugr-role", userId: "sub", userName: "name" };
export const IMPERSONATION_HEADERS: IdentityHeaders = {
  role: "x-hugr-impersonated-role",
  userId: "x-hugr-impersonated-user-id",
  userName: "x-hugr-impersonated-user-name",
};
export const API_KEY_HEADER = "x-hugr-api-key";
export const SECRET_KEY_HEADER = "x-hugr-secret-key";
/** hugr's JWT and OIDC providers read the role from `scopes` entries with this prefix by default. */
export const DEFAULT_SCOPE_ROLE_PREFIX = "hugr:";
/** OIDC_TIMEOUT's default (ours: hugr's zero means no timeout at all). */
export const DEFAULT_OIDC_TIMEOUT_MS = 10_000;
