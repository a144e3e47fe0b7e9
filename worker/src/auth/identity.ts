/** Who is asking: the outcome of the provider chain (hugr's auth info). */
export interface Identity {
  role: string;
  userId: string;
  userName: string;
  /** hugr's auth types; the secret key is an "apiKey" of provider "secret-key", as in hugr. */
  authType: "anonymous" | "apiKey" | "db-api-key" | "jwt" | "oidc" | "impersonation";
  /** The provider's name: an api-keys or jwt entry, "oidc", "secret-key", "managed", "anonymous". */
  provider: string;
  /** Scalar claims of the token or managed key, for `[$auth.<claim>]` placeholders. */
  claims: Readonly<Record<string, string | number | boolean>>;
  /** Set when impersonating: who really asks. */
  impersonatedBy?: { role: string; userId: string; userName: string };
}

/**
 * Why a request is refused before it runs: 401 for a missing, bad, expired or tampered credential
 * (never answered as anonymous), 403 for a role it may not have (unknown, disabled, not granted by
 * the credential) or refused impersonation, 503 while the node cannot tell (a cluster node before
 * the management node sent it the settings).
 */
export class AuthFailure extends Error {
  constructor(
    readonly status: 401 | 403 | 503,
    readonly code: "UNAUTHENTICATED" | "FORBIDDEN" | "UNAVAILABLE",
    message: string,
  ) {
    super(message);
    this.name = "AuthFailure";
  }
}

export const unauthenticated = (message: string): AuthFailure =>
  new AuthFailure(401, "UNAUTHENTICATED", message);
export const forbidden = (message: string): AuthFailure => new AuthFailure(403, "FORBIDDEN", message);
export const unavailable = (message: string): AuthFailure => new AuthFailure(503, "UNAVAILABLE", message);

/** A role as the core database holds it (hugr's `roles`). */
export interface RoleInfo {
  name: string;
  disabled: boolean;
  canImpersonate: boolean;
}

/** A managed API key (hugr's `core.api_keys` row). */
export interface ManagedApiKey {
  name: string;
  defaultRole: string | null;
  disabled: boolean;
  isTemporal: boolean;
  expiresAt: Date | null;
  /** Headers the role and user may be read from (`{role, user_id, user_name}` in hugr's JSON). */
  headers: Partial<Record<"role" | "userId" | "userName", string>>;
  /** Fixed claims: `role`, `user_id`, `user_name`, and others for `[$auth.<claim>]`. */
  claims: Readonly<Record<string, unknown>>;
}

/** What the provider chain looks up in the core database (cached by the node). */
export interface CredentialStore {
  role(name: string): Promise<RoleInfo | undefined>;
  /** The managed key with this secret value, if any. */
  apiKey(key: string): Promise<ManagedApiKey | undefined>;
}
