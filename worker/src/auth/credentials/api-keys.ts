import { API_KEY_HEADER, type AuthPolicy, type StaticApiKeyPolicy } from "@hugr/common";
import { unauthenticated, type CredentialStore, type Identity, type ManagedApiKey } from "../identity.js";
import type { RequestCredentials } from "./request.js";
import { chooseRole, claimString, NO_CLAIMS, NO_ROLE_FALLBACK, scalarClaims } from "./roles.js";
import { digest, Secret } from "./secret.js";

/** The user of a static key whose request names none (hugr's). */
const STATIC_KEY_USER = "api";

interface StaticKey {
  policy: StaticApiKeyPolicy;
  secret: Secret;
  /** The default role first, then `allowed-roles`. */
  granted: readonly string[];
}

/** The static keys read from one header, in the auth file's order. */
interface HeaderKeys {
  header: string;
  keys: StaticKey[];
}

/**
 * The API-key part of the chain: managed keys (core.api_keys, in x-hugr-api-key), then the auth
 * file's static keys, each on its header. A key header that is present but holds no known key is a
 * 401 at once: a wrong key never falls through to a later provider or to anonymous (hugr lets a
 * wrong key end as anonymous).
 */
export class ApiKeyProviders {
  readonly #managed: boolean;
  readonly #byHeader: HeaderKeys[] = [];

  constructor(
    policy: AuthPolicy,
    private readonly store: CredentialStore,
    private readonly now: () => number,
  ) {
    this.#managed = policy.managedApiKeys;
    for (const key of policy.apiKeys) {
      const header = key.header.toLowerCase();
      let group = this.#byHeader.find((g) => g.header === header);
      if (!group) this.#byHeader.push((group = { header, keys: [] }));
      group.keys.push({
        policy: key,
        secret: new Secret(key.key),
        granted: [key.defaultRole, ...key.allowedRoles],
      });
    }
  }

  /** The identity of the request's API key; undefined when it carries none. */
  async authenticate(request: RequestCredentials): Promise<Identity | undefined> {
    let presented = false;
    if (this.#managed) {
      const value = request.header(API_KEY_HEADER, "the API key header");
      if (value !== undefined) {
        const key = await this.#lookup(value);
        if (key) return managedIdentity(key, request.headers, this.now());
        presented = true;
      }
    }
    for (const { header, keys } of this.#byHeader) {
      const value = request.header(header, "the API key header");
      if (value === undefined) continue;
      presented = true;
      const hashed = digest(value);
      const key = keys.find((k) => k.secret.matches(hashed));
      if (key) return staticIdentity(key, request.headers);
    }
    if (presented) throw unauthenticated("the API key is not valid");
    return undefined;
  }

  async #lookup(value: string): Promise<ManagedApiKey | undefined> {
    try {
      return await this.store.apiKey(value);
    } catch (error) {
      throw new Error("while looking up a managed API key", { cause: error });
    }
  }
}

function staticIdentity(key: StaticKey, headers: Headers): Identity {
  const { policy } = key;
  return {
    role: chooseRole(headers.get(policy.headers.role), policy.defaultRole, key.granted),
    userId: headers.get(policy.headers.userId) || STATIC_KEY_USER,
    userName: headers.get(policy.headers.userName) || STATIC_KEY_USER,
    authType: "apiKey",
    provider: policy.name,
    claims: NO_CLAIMS,
  };
}

/**
 * A managed key's identity. Refused (401) when disabled, or temporal and past `expires_at` (a
 * temporal key without an expiry counts as expired, as in hugr). The role: the role header (when
 * the key names one in `headers.role`) choosing among the roles the key grants, its
 * `default_role` and `claims.role`; else `claims.role`, else `default_role`. The user: the claims,
 * else the key's user headers, else the key's name.
 */
export function managedIdentity(key: ManagedApiKey, headers: Headers, now: number): Identity {
  if (key.disabled) throw unauthenticated("the API key is disabled");
  if (key.isTemporal && (key.expiresAt === null || key.expiresAt.getTime() <= now)) {
    throw unauthenticated("the API key has expired");
  }
  return {
    role: managedRole(key, headers),
    userId: claimString(key.claims.user_id) ?? header(headers, key.headers.userId) ?? key.name,
    userName: claimString(key.claims.user_name) ?? header(headers, key.headers.userName) ?? key.name,
    authType: "db-api-key",
    provider: "managed",
    claims: scalarClaims(key.claims),
  };
}

function managedRole(key: ManagedApiKey, headers: Headers): string {
  const claimRole = claimString(key.claims.role);
  const granted: string[] = [];
  if (key.defaultRole) granted.push(key.defaultRole);
  if (claimRole) granted.push(claimRole);
  return chooseRole(
    header(headers, key.headers.role),
    claimRole ?? key.defaultRole ?? NO_ROLE_FALLBACK,
    granted,
  );
}

function header(headers: Headers, name: string | undefined): string | undefined {
  return (name && headers.get(name)) || undefined;
}
