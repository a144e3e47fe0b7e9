import type { JwtPolicy } from "@hugr/common";
import type { JWTVerifyGetKey, JWTVerifyOptions } from "jose";
import type { KeyObject } from "node:crypto";
import type { Identity } from "../identity.js";
import { ASYMMETRIC_ALGORITHMS, importPublicKey } from "./keys.js";
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
import type { ProviderContext } from "./context.js";
import { jose } from "./jose.js";

/**
 * A JWT provider of the auth file: a PEM/SSH public key (imported once, here) or a JWKS URL (jose's
 * remote set: fetched on first use, cached, refetched on an unknown `kid` at most once per 30 s
 * cooldown). `iss` and `aud` are checked when configured (hugr checks neither).
 */
export function jwtProvider(policy: JwtPolicy, context: ProviderContext): TokenProvider {
  let key: KeyObject | JWTVerifyGetKey;
  let algorithms: readonly string[];
  if (policy.keys.kind === "pem") {
    try {
      ({ key, algorithms } = importPublicKey(policy.keys.pem));
    } catch (error) {
      throw new Error(`while reading the public key of jwt provider '${policy.name}'`, { cause: error });
    }
  } else {
    key = jose().createRemoteJWKSet(new URL(policy.keys.url), { [jose().customFetch]: context.fetch });
    algorithms = ASYMMETRIC_ALGORITHMS;
  }
  const options: JWTVerifyOptions = {
    algorithms: [...algorithms],
    issuer: policy.issuer,
    audience: policy.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  const mapping: TokenMapping = {
    provider: policy.name,
    authType: "jwt",
    roleHeader: policy.roleHeader,
    scopeRolePrefix: policy.scopeRolePrefix,
    claims: policy.claims,
  };
  const onUnavailable = (error: unknown): void =>
    context.logger?.warn({ provider: policy.name, err: error }, "the JWT provider's keys could not be read");

  return {
    name: policy.name,
    cookieName: policy.cookieName,
    async authenticate(
      token: string,
      decoded: DecodedToken,
      headers: Headers,
    ): Promise<Identity | Rejection> {
      if (policy.issuer !== undefined && decoded.payload.iss !== policy.issuer) return REJECTED.issuer;
      if (!algorithms.includes(decoded.alg)) return REJECTED.algorithm;
      const verified = await verifyToken(token, key, context.verifyOptions(options), onUnavailable);
      return isRejection(verified) ? verified : tokenIdentity(verified, mapping, headers);
    },
  };
}
