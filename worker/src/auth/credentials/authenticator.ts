import {
  DEFAULT_IDENTITY_HEADERS,
  SECRET_KEY_HEADER,
  type AuthPolicy,
  type IdentityHeaders,
} from "@hugr/common";
import {
  AuthFailure,
  forbidden,
  unauthenticated,
  type CredentialStore,
  type Identity,
  type RoleInfo,
} from "../identity.js";
import { ApiKeyProviders } from "./api-keys.js";
import { providerContext, type AuthLogger } from "./context.js";
import { jwtProvider } from "./jwt.js";
import { oidcProvider } from "./oidc.js";
import { RequestCredentials } from "./request.js";
import { NO_CLAIMS, quoted } from "./roles.js";
import { digest, Secret } from "./secret.js";
import { isRejection, type Rejection, type TokenProvider } from "./tokens.js";

export interface AuthenticatorOptions {
  /** Debug: why a credential was refused (never the credential); warn: discovery or JWKS failures. */
  logger?: AuthLogger;
  /** For OIDC discovery and JWKS downloads; default: the global fetch. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch, for token and managed-key expiry; default Date.now. */
  now?: () => number;
}

/** Who is asking, once per request. */
export interface Authenticator {
  /** The request's identity, or an AuthFailure: 401 UNAUTHENTICATED or 403 FORBIDDEN. */
  authenticate(headers: Headers): Promise<Identity>;
  /**
   * Releases what the chain holds. Nothing today: key sets and discovery are plain promises and
   * fetches with timeouts, no timers or sockets outlive a request. Optional so callers write
   * `close?.()` and a future chain with background refreshes can add it.
   */
  close?(): void;
}

/** The secret key's identity (hugr's: an admin "apiKey" whose user is `api`). */
const SECRET_KEY_IDENTITY: Identity = Object.freeze({
  role: "admin",
  userId: "api",
  userName: "api",
  authType: "apiKey",
  provider: "secret-key",
  claims: NO_CLAIMS,
});

/**
 * The provider chain of a node, built once from its policy (PEM keys imported, secrets digested,
 * JWKS sets created); throws on a key it cannot read. Per request:
 *   1. managed API keys, then static API keys: a present but unknown key is 401 at once;
 *   2. JWT providers in order, then the secret key, then OIDC: a token a provider does not hold
 *      (issuer, key) passes to the next token provider; a token this provider signed but that is
 *      expired or for another audience is 401 at once; a token no provider accepts is 401; a valid
 *      secret key is admin even beside a token the JWT providers passed on, a wrong one is 401;
 *   3. anonymous, last and only for a request that carried no credential, when allowed; else 401;
 *   4. the role must exist and not be disabled (403), then impersonation (see `impersonate`).
 */
export function createAuthenticator(
  policy: AuthPolicy,
  store: CredentialStore,
  options: AuthenticatorOptions = {},
): Authenticator {
  const context = providerContext(options);
  const { logger } = context;
  const apiKeys = new ApiKeyProviders(policy, store, options.now ?? Date.now);
  const jwt = policy.jwt.map((p) => jwtProvider(p, context));
  const oidc = policy.oidc ? [oidcProvider(policy.oidc, context)] : [];
  const secretKey = policy.secretKey ? new Secret(policy.secretKey) : undefined;
  const anonymous: Identity | undefined = policy.anonymous.allowed
    ? Object.freeze({
        role: policy.anonymous.role,
        userId: "anonymous",
        userName: "anonymous",
        authType: "anonymous",
        provider: "anonymous",
        claims: NO_CLAIMS,
      })
    : undefined;

  /** The token providers in chain order; the secret key sits between the JWT providers and OIDC. */
  async function tryTokens(
    request: RequestCredentials,
    providers: readonly TokenProvider[],
    rejected: Rejection | undefined,
  ): Promise<Identity | Rejection | undefined> {
    for (const provider of providers) {
      const token = request.token(provider.cookieName);
      if (token === undefined) continue;
      const outcome = await provider.authenticate(token, request.decoded(token), request.headers);
      if (!isRejection(outcome)) return outcome;
      logger?.debug({ provider: provider.name, reason: outcome.reason }, "token passed to the next provider");
      if (!rejected || outcome.rank > rejected.rank) rejected = outcome;
    }
    return rejected;
  }

  async function identify(request: RequestCredentials): Promise<Identity> {
    const keyed = await apiKeys.authenticate(request);
    if (keyed) return keyed;
    let outcome = await tryTokens(request, jwt, undefined);
    if (outcome && !isRejection(outcome)) return outcome;
    if (secretKey) {
      const presented = request.header(SECRET_KEY_HEADER, "the secret key header");
      if (presented !== undefined) {
        if (!secretKey.matches(digest(presented))) throw unauthenticated("the secret key is not valid");
        return SECRET_KEY_IDENTITY;
      }
    }
    outcome = await tryTokens(request, oidc, outcome);
    if (outcome && !isRejection(outcome)) return outcome;
    if (outcome) throw unauthenticated(outcome.reason);
    if (anonymous) return anonymous;
    throw unauthenticated("authentication required");
  }

  async function activeRole(name: string): Promise<RoleInfo> {
    let role: RoleInfo | undefined;
    try {
      role = await store.role(name);
    } catch (error) {
      throw new Error("while reading a role", { cause: error });
    }
    if (!role) throw forbidden(`role ${quoted(name)} does not exist`);
    if (role.disabled) throw forbidden(`role ${quoted(name)} is disabled`);
    return role;
  }

  /**
   * Impersonation headers (x-hugr-impersonated-role, -user-id, -user-name): when any is present the
   * caller's role must have can_impersonate (else 403) and the target role must exist and be enabled
   * (else 403). The identity becomes the target's: its role (default: the caller's), user id (default:
   * the caller's) and user name (default: the target user id when given, as in hugr, else the
   * caller's); its claims are dropped (they describe the caller, not the target); the provider stays.
   *
   * For the secret key, hugr's own override headers (x-hugr-role, x-hugr-user-id, x-hugr-user-name)
   * are read the same way: hugr clients send them with the secret key to act as a user.
   */
  async function impersonate(headers: Headers, caller: Identity, callerRole: RoleInfo): Promise<Identity> {
    const target = impersonationTarget(headers, caller, policy.impersonation);
    if (!target) return caller;
    if (!callerRole.canImpersonate) throw forbidden(`role ${quoted(caller.role)} may not impersonate`);
    if (target.role !== caller.role) await activeRole(target.role);
    if (
      target.role === caller.role &&
      target.userId === caller.userId &&
      target.userName === caller.userName
    ) {
      return caller;
    }
    return {
      ...target,
      authType: "impersonation",
      provider: caller.provider,
      claims: NO_CLAIMS,
      impersonatedBy: { role: caller.role, userId: caller.userId, userName: caller.userName },
    };
  }

  return {
    async authenticate(headers: Headers): Promise<Identity> {
      try {
        const identity = await identify(new RequestCredentials(headers));
        const role = await activeRole(identity.role);
        return await impersonate(headers, identity, role);
      } catch (error) {
        if (error instanceof AuthFailure)
          logger?.debug({ status: error.status, reason: error.message }, "request refused");
        throw error;
      }
    },
  };
}

interface ImpersonationTarget {
  role: string;
  userId: string;
  userName: string;
}

/** Who the request asks to act as, with the caller's values as defaults; undefined: nobody. */
function impersonationTarget(
  headers: Headers,
  caller: Identity,
  names: IdentityHeaders,
): ImpersonationTarget | undefined {
  let role = headers.get(names.role);
  let userId = headers.get(names.userId);
  let userName = headers.get(names.userName);
  if (!role && !userId && !userName) {
    if (caller !== SECRET_KEY_IDENTITY) return undefined;
    role = headers.get(DEFAULT_IDENTITY_HEADERS.role);
    userId = headers.get(DEFAULT_IDENTITY_HEADERS.userId);
    userName = headers.get(DEFAULT_IDENTITY_HEADERS.userName);
    if (!role && !userId && !userName) return undefined;
  }
  return {
    role: role || caller.role,
    userId: userId || caller.userId,
    userName: userName || userId || caller.userName,
  };
}
