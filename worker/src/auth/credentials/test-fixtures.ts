import {
  DEFAULT_CLAIMS,
  DEFAULT_IDENTITY_HEADERS,
  IMPERSONATION_HEADERS,
  type AuthPolicy,
  type JwtKeySource,
  type JwtPolicy,
  type StaticApiKeyPolicy,
} from "@hugr/common";
import { expect } from "vitest";
import { AuthFailure, type CredentialStore, type ManagedApiKey, type RoleInfo } from "../identity.js";

/** An in-memory core database for the provider chain: roles and managed keys. */
export class MemoryCredentialStore implements CredentialStore {
  readonly roles = new Map<string, RoleInfo>();
  readonly keys = new Map<string, ManagedApiKey>();

  constructor(roles: readonly RoleInfo[] = SEEDED_ROLES) {
    for (const role of roles) this.roles.set(role.name, role);
  }

  role(name: string): Promise<RoleInfo | undefined> {
    return Promise.resolve(this.roles.get(name));
  }

  apiKey(key: string): Promise<ManagedApiKey | undefined> {
    return Promise.resolve(this.keys.get(key));
  }
}

/** hugr's seeded roles plus two of ours: `analyst`, and `retired` (disabled). */
export const SEEDED_ROLES: readonly RoleInfo[] = [
  { name: "admin", disabled: false, canImpersonate: true },
  { name: "public", disabled: false, canImpersonate: false },
  { name: "readonly", disabled: false, canImpersonate: false },
  { name: "analyst", disabled: false, canImpersonate: false },
  { name: "retired", disabled: true, canImpersonate: false },
];

/** A policy with nothing on: no anonymous, no keys, no providers. */
export function authPolicy(overrides: Partial<AuthPolicy> = {}): AuthPolicy {
  return {
    open: false,
    anonymous: { allowed: false, role: "public" },
    managedApiKeys: false,
    apiKeys: [],
    jwt: [],
    impersonation: IMPERSONATION_HEADERS,
    ...overrides,
  };
}

export function staticKey(overrides: Partial<StaticApiKeyPolicy> = {}): StaticApiKeyPolicy {
  return {
    name: "reporting",
    key: "k-reporting-0123456789",
    header: "x-hugr-api-key",
    defaultRole: "readonly",
    allowedRoles: [],
    headers: DEFAULT_IDENTITY_HEADERS,
    ...overrides,
  };
}

export function jwtPolicy(name: string, keys: JwtKeySource, overrides: Partial<JwtPolicy> = {}): JwtPolicy {
  return { name, keys, roleHeader: "x-hugr-role", claims: DEFAULT_CLAIMS, ...overrides };
}

export function managedKey(overrides: Partial<ManagedApiKey> = {}): ManagedApiKey {
  return {
    name: "etl",
    defaultRole: "readonly",
    disabled: false,
    isTemporal: false,
    expiresAt: null,
    headers: {},
    claims: {},
    ...overrides,
  };
}

/**
 * Expects an AuthFailure with this status whose message matches, and that carries none of the
 * secrets (nor any 8-character piece of them: a token's header, payload or signature included).
 */
export async function expectRefused(
  promise: Promise<unknown>,
  status: 401 | 403,
  message: RegExp,
  secrets: readonly string[] = [],
): Promise<AuthFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthFailure);
  const failure = error as AuthFailure;
  expect(failure.message).toMatch(message);
  expect(failure.status).toBe(status);
  expect(failure.code).toBe(status === 401 ? "UNAUTHENTICATED" : "FORBIDDEN");
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i += 4) {
      expect(failure.message).not.toContain(secret.slice(i, i + 8));
    }
  }
  return failure;
}
