import type { OidcPolicy } from "@hugr/common";
import type { JWTVerifyGetKey, JWTVerifyOptions } from "jose";
import type { Identity } from "../identity.js";
import type { ProviderContext } from "./context.js";
import { ASYMMETRIC_ALGORITHMS } from "./keys.js";
import {
  CLOCK_TOLERANCE_SECONDS,
  isRejection,
  REJECTED,
  tokenIdentity,
  verifyToken,
  type DecodedToken,
  type Rejection,
  type TokenMapping,
  type TokenProvider,
} from "./tokens.js";
import { jose } from "./jose.js";

/** What discovery yields: the issuer as the provider spells it, and its key set. */
interface Discovered {
  verify: JWTVerifyOptions;
  keys: JWTVerifyGetKey;
}

/**
 * OIDC: the issuer's discovery document (`<issuer>/.well-known/openid-configuration`), read on the
 * first token that names this issuer and kept; a failed discovery refuses that request (401), logs
 * a warning and is tried again on the next one. Tokens must carry `iss` = the issuer and an `aud`
 * containing the client id (hugr checks no audience); keys come from the discovered `jwks_uri`.
 *
 * OIDC_TLS_INSECURE is not supported: Node's fetch has no per-request switch for certificate checks
 * without a custom undici dispatcher. For a private CA, give Node the CA with NODE_EXTRA_CA_CERTS.
 */
export function oidcProvider(policy: OidcPolicy, context: ProviderContext): TokenProvider {
  const issuer = withoutTrailingSlash(policy.issuer);
  const mapping: TokenMapping = {
    provider: "oidc",
    authType: "oidc",
    roleHeader: policy.roleHeader,
    scopeRolePrefix: policy.scopeRolePrefix,
    claims: policy.claims,
  };
  const onUnavailable = (error: unknown): void =>
    context.logger?.warn({ provider: "oidc", err: error }, "the OIDC provider's keys could not be read");
  if (policy.tlsInsecure) {
    context.logger?.warn(
      { provider: "oidc" },
      "OIDC_TLS_INSECURE is not supported: the issuer's certificate is verified (use NODE_EXTRA_CA_CERTS for a private CA)",
    );
  }
  let discovered: Promise<Discovered> | undefined;

  const discover = (): Promise<Discovered> => {
    discovered ??= discovery(policy, issuer, context).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };

  return {
    name: "oidc",
    cookieName: policy.cookieName,
    async authenticate(
      token: string,
      decoded: DecodedToken,
      headers: Headers,
    ): Promise<Identity | Rejection> {
      const iss = decoded.payload.iss;
      if (typeof iss !== "string" || withoutTrailingSlash(iss) !== issuer) return REJECTED.issuer;
      let found: Discovered;
      try {
        found = await discover();
      } catch (error) {
        context.logger?.warn(
          { provider: "oidc", err: error },
          "OIDC discovery failed; will retry on the next request",
        );
        return REJECTED.keysUnavailable;
      }
      const verified = await verifyToken(
        token,
        found.keys,
        context.verifyOptions(found.verify),
        onUnavailable,
      );
      return isRejection(verified) ? verified : tokenIdentity(verified, mapping, headers);
    },
  };
}

async function discovery(policy: OidcPolicy, issuer: string, context: ProviderContext): Promise<Discovered> {
  const url = `${issuer}/.well-known/openid-configuration`;
  const response = await context.fetch(url, {
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(policy.timeoutMs),
  });
  if (!response.ok) throw new Error(`the discovery document answered HTTP ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (typeof document?.issuer !== "string" || withoutTrailingSlash(document.issuer) !== issuer) {
    throw new Error("the discovery document names another issuer");
  }
  if (typeof document.jwks_uri !== "string") throw new Error("the discovery document has no jwks_uri");
  const keys = jose().createRemoteJWKSet(new URL(document.jwks_uri), {
    timeoutDuration: policy.timeoutMs,
    [jose().customFetch]: context.fetch,
  });
  return {
    keys,
    verify: {
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      issuer: document.issuer,
      audience: policy.clientId,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    },
  };
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}
