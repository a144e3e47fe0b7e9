import type { ClaimNames } from "@hugr/common";
import type { errors, JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from "jose";
import type { KeyObject } from "node:crypto";
import { unauthenticated, type Identity } from "../identity.js";
import { jose } from "./jose.js";
import { ASYMMETRIC_ALGORITHMS } from "./keys.js";
import { chooseRole, claimString, NO_ROLE_FALLBACK, scalarClaims } from "./roles.js";

/** Seconds of clock skew tolerated on `exp` and `nbf` (and `iat`). */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** A token's parts read without verification, once per request, to route it to its provider. */
export interface DecodedToken {
  alg: string;
  payload: JWTPayload;
}

/**
 * Why a provider passed a token on: it does not hold the token's issuer, algorithm or key, or
 * cannot check it now. The next token provider may still accept it; when none does, the request is
 * refused (401) with the reason of the provider that got furthest (the highest rank): a token
 * rejected by every provider never ends as anonymous.
 */
export interface Rejection {
  readonly rank: number;
  readonly reason: string;
}

export const REJECTED = {
  issuer: { rank: 1, reason: "the token's issuer is not accepted" },
  algorithm: { rank: 2, reason: "the token's algorithm does not match the provider's keys" },
  unknownKey: { rank: 3, reason: "no key of the provider matches the token" },
  signature: { rank: 4, reason: "the token's signature is not valid" },
  keysUnavailable: { rank: 5, reason: "the token provider's keys are unavailable" },
} as const satisfies Record<string, Rejection>;

export function isRejection(value: object): value is Rejection {
  return "rank" in value;
}

/** What a JWT or OIDC provider makes of a token: the identity, or a reason to pass it on. */
export interface TokenProvider {
  /** For logs: the jwt entry's name, or "oidc". */
  readonly name: string;
  /** The cookie the token may come in when there is no Authorization header. */
  readonly cookieName: string | undefined;
  /** Throws AuthFailure for a token that is this provider's but invalid (expired, wrong audience). */
  authenticate(token: string, decoded: DecodedToken, headers: Headers): Promise<Identity | Rejection>;
}

/** How a provider maps a verified token to an identity. */
export interface TokenMapping {
  provider: string;
  authType: "jwt" | "oidc";
  roleHeader: string;
  scopeRolePrefix: string | undefined;
  claims: ClaimNames;
}

/**
 * The header and claims of a compact JWS, unverified. 401 for anything else (an opaque token, a JWE,
 * broken base64 or JSON) and for an algorithm no provider accepts (`none`, HMAC).
 */
export function decodeToken(token: string): DecodedToken {
  let alg: unknown;
  let payload: JWTPayload;
  try {
    alg = jose().decodeProtectedHeader(token).alg;
    payload = jose().decodeJwt(token);
  } catch {
    throw unauthenticated("the token is not a valid JWT");
  }
  if (typeof alg !== "string" || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
    throw unauthenticated("the token's algorithm is not accepted");
  }
  return { alg, payload };
}

/**
 * Verifies the signature, then `iss`/`aud`/`exp`/`nbf` (jose checks claims only after the
 * signature). A signature or key this provider does not hold is a Rejection (another provider may
 * hold it); a claim failure on a token this provider signed is a 401 at once.
 */
export async function verifyToken(
  token: string,
  key: KeyObject | JWTVerifyGetKey,
  options: JWTVerifyOptions,
  onUnavailable: (error: unknown) => void,
): Promise<JWTPayload | Rejection> {
  try {
    const { payload } =
      typeof key === "function"
        ? await jose().jwtVerify(token, key, options)
        : await jose().jwtVerify(token, key, options);
    return payload;
  } catch (error) {
    const rejection = rejectionOf(error);
    if (rejection === REJECTED.keysUnavailable) onUnavailable(error);
    return rejection;
  }
}

function rejectionOf(error: unknown): Rejection {
  if (!(error instanceof jose().errors.JOSEError)) return REJECTED.keysUnavailable;
  switch (error.code) {
    case "ERR_JWT_EXPIRED":
      throw unauthenticated("token expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      throw unauthenticated(claimMessage((error as errors.JWTClaimValidationFailed).claim));
    case "ERR_JWT_INVALID":
    case "ERR_JWS_INVALID":
      throw unauthenticated("the token is not a valid JWT");
    case "ERR_JOSE_NOT_SUPPORTED":
      throw unauthenticated("the token uses a feature that is not supported");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return REJECTED.signature;
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return REJECTED.algorithm;
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return REJECTED.unknownKey;
    default:
      // A JWKS that cannot be fetched, parsed or imported.
      return REJECTED.keysUnavailable;
  }
}

function claimMessage(claim: string): string {
  switch (claim) {
    case "nbf":
      return "the token is not yet valid";
    case "aud":
      return "the token's audience is not accepted";
    case "iss":
      return "the token's issuer is not accepted";
    default:
      return `the token's ${claim} claim is not valid`;
  }
}

/**
 * A verified token's identity. Granted roles: the role claim (a string or an array of strings),
 * then every `scopes`/`scope` entry with the scope-role prefix (prefix stripped). The role: the
 * role header choosing among them, else the first granted, else NO_ROLE_FALLBACK. User: the
 * user-id claim (else empty, as in hugr), the user-name claim (else the user id).
 */
export function tokenIdentity(payload: JWTPayload, mapping: TokenMapping, headers: Headers): Identity {
  const granted = grantedRoles(payload, mapping);
  const userId = claimString(payload[mapping.claims.userId]) ?? "";
  return {
    role: chooseRole(headers.get(mapping.roleHeader), granted[0] ?? NO_ROLE_FALLBACK, granted),
    userId,
    userName: claimString(payload[mapping.claims.userName]) ?? userId,
    authType: mapping.authType,
    provider: mapping.provider,
    claims: scalarClaims(payload),
  };
}

function grantedRoles(payload: JWTPayload, mapping: TokenMapping): string[] {
  const roles: string[] = [];
  addStrings(roles, payload[mapping.claims.role]);
  const prefix = mapping.scopeRolePrefix;
  if (prefix) {
    const scopes: string[] = [];
    addStrings(scopes, payload.scopes);
    addStrings(scopes, typeof payload.scope === "string" ? payload.scope.split(" ") : payload.scope);
    for (const scope of scopes) {
      if (scope.length > prefix.length && scope.startsWith(prefix)) roles.push(scope.slice(prefix.length));
    }
  }
  return roles;
}

function addStrings(into: string[], value: unknown): void {
  if (typeof value === "string") {
    if (value) into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) if (typeof item === "string" && item) into.push(item);
  }
}
