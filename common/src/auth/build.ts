import type { AuthSettings } from "@hugr/protocol";
import { ConfigError } from "../env/errors.js";
import { MAX_TIMER_MS } from "../env/readers.js";
import { fileError } from "./fields.js";
import { readAuthFile, type AuthFile, type FileIdentityNames, type FileOidc } from "./file.js";
import {
  API_KEY_HEADER,
  DEFAULT_CLAIMS,
  DEFAULT_IDENTITY_HEADERS,
  DEFAULT_OIDC_TIMEOUT_MS,
  DEFAULT_SCOPE_ROLE_PREFIX,
  IMPERSONATION_HEADERS,
  SECRET_KEY_HEADER,
  type AuthPolicy,
  type ClaimNames,
  type JwtPolicy,
  type OidcPolicy,
  type StaticApiKeyPolicy,
} from "./policy.js";

/** hugr's role of static API keys when the request names none. */
const API_KEY_DEFAULT_ROLE = "admin";
/** Anonymous role when nothing at all is configured (hugr's code default). */
const OPEN_ANONYMOUS_ROLE = "admin";
/** Anonymous role otherwise (ours): the seeded role with no grants of its own. */
const ANONYMOUS_ROLE = "public";
/** Provider names the chain gives its own providers (Identity.provider). */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["oidc", "secret-key", "managed", "anonymous"]);

/**
 * Merges the environment settings with the auth file by hugr's rules and applies the defaults:
 * - `api-keys` and `jwt` entries add providers; a non-empty `oidc.issuer` replaces the env's OIDC;
 * - `anonymous.allowed: true` turns anonymous access on; the file cannot turn it off
 *   (ALLOWED_ANONYMOUS=false does); `anonymous.role` overrides ANONYMOUS_ROLE;
 * - `secret-key` overrides SECRET_KEY; `managed-api-keys: true` turns managed keys on;
 * - with nothing configured at all (no secret key, auth file, OIDC or managed keys) the policy is
 *   `open` and anonymous requests are admin, as in hugr; otherwise they are `public` unless
 *   ANONYMOUS_ROLE or the file says otherwise.
 * Refuses, with a ConfigError naming the variable (AUTH_CONFIG_FILE for the file) and the key, an
 * unknown key, a wrong type, a bad public key, and two providers reading one header (hugr keys its
 * providers by header, so they would break each other). Messages never show a key or secret.
 */
export function buildAuthPolicy(settings: AuthSettings): AuthPolicy {
  checkSettings(settings);
  const file = settings.authConfig ? readAuthFile(settings.authConfig) : NO_FILE;
  const open = isOpen(settings);
  const secretKey = file.secretKey ?? (settings.secretKey || undefined);
  const oidc = file.oidc?.issuer === undefined ? envOidc(settings.oidc) : fileOidc(file.oidc);
  const policy: AuthPolicy = {
    open,
    anonymous: anonymousAccess(settings, file, open),
    ...(secretKey === undefined ? {} : { secretKey }),
    managedApiKeys: settings.managedApiKeys === true || file.managedApiKeys === true,
    apiKeys: file.apiKeys.map(apiKeyPolicy),
    jwt: file.jwt.map(jwtPolicy),
    ...(oidc === undefined ? {} : { oidc }),
    impersonation: IMPERSONATION_HEADERS,
  };
  checkNames(file);
  checkHeaders(policy, file);
  return { ...policy, warnings: [...accessWarnings(policy), ...fileWarnings(settings, file)] };
}

/** What the settings say without an auth file. */
const NO_FILE: AuthFile = { anonymous: {}, apiKeys: [], jwt: [], ignored: [] };

/** Nothing configured at all: no secret key, auth file, OIDC or managed keys. */
function isOpen(settings: AuthSettings): boolean {
  return (
    !settings.secretKey &&
    settings.authConfig === undefined &&
    settings.oidc === undefined &&
    settings.managedApiKeys !== true
  );
}

/** The file can turn anonymous access on, never off; its role overrides ANONYMOUS_ROLE. */
function anonymousAccess(settings: AuthSettings, file: AuthFile, open: boolean): AuthPolicy["anonymous"] {
  const fallback = open ? OPEN_ANONYMOUS_ROLE : ANONYMOUS_ROLE;
  return {
    allowed: settings.allowedAnonymous || file.anonymous.allowed === true,
    role: file.anonymous.role ?? settings.anonymousRole ?? fallback,
  };
}

/**
 * The environment's part, for settings that came over the wire or from a HugrCluster rather than
 * through readAuth: the same rules, named by the variables they stand for.
 */
function checkSettings(settings: AuthSettings): void {
  if (settings.anonymousRole !== undefined && settings.anonymousRole.trim() === "") {
    throw new ConfigError("ANONYMOUS_ROLE", "must not be empty");
  }
  const { secretKey } = settings;
  if (secretKey && secretKey !== secretKey.trim()) {
    throw new ConfigError("SECRET_KEY", "has leading or trailing whitespace (a newline from a secret file?)");
  }
  if (settings.oidc) checkOidcSettings(settings.oidc);
}

function checkOidcSettings(oidc: NonNullable<AuthSettings["oidc"]>): void {
  if (!/^https?:\/\/[^/?#\s]+/iu.test(oidc.issuer) || !URL.canParse(oidc.issuer)) {
    throw new ConfigError("OIDC_ISSUER", "must be an http:// or https:// URL", oidc.issuer);
  }
  if (oidc.clientId.trim() === "")
    throw new ConfigError("OIDC_CLIENT_ID", "is required when OIDC_ISSUER is set");
  const timeout = oidc.timeoutMs;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= MAX_TIMER_MS)) {
    throw new ConfigError("OIDC_TIMEOUT", `must be more than zero and at most ${MAX_TIMER_MS} ms`);
  }
}

function apiKeyPolicy(entry: AuthFile["apiKeys"][number]): StaticApiKeyPolicy {
  const defaultRole = entry.defaultRole ?? API_KEY_DEFAULT_ROLE;
  return {
    name: entry.name,
    key: entry.key,
    header: entry.header ?? API_KEY_HEADER,
    defaultRole,
    allowedRoles: [...new Set([defaultRole, ...entry.allowedRoles])],
    headers: {
      role: entry.headers.role ?? DEFAULT_IDENTITY_HEADERS.role,
      userId: entry.headers.userId ?? DEFAULT_IDENTITY_HEADERS.userId,
      userName: entry.headers.userName ?? DEFAULT_IDENTITY_HEADERS.userName,
    },
  };
}

function jwtPolicy(entry: AuthFile["jwt"][number]): JwtPolicy {
  return {
    name: entry.name,
    keys: entry.keys,
    ...(entry.issuer === undefined ? {} : { issuer: entry.issuer }),
    ...(entry.audience === undefined ? {} : { audience: entry.audience }),
    ...(entry.cookieName === undefined ? {} : { cookieName: entry.cookieName }),
    scopeRolePrefix: entry.scopeRolePrefix ?? DEFAULT_SCOPE_ROLE_PREFIX,
    roleHeader: entry.roleHeader ?? DEFAULT_IDENTITY_HEADERS.role,
    claims: claims(entry.claims),
  };
}

function claims(names: FileIdentityNames): ClaimNames {
  return {
    role: names.role ?? DEFAULT_CLAIMS.role,
    userId: names.userId ?? DEFAULT_CLAIMS.userId,
    userName: names.userName ?? DEFAULT_CLAIMS.userName,
  };
}

/** The auth file's OIDC block, which replaces the env's whole (hugr's rule). */
function fileOidc(oidc: FileOidc): OidcPolicy {
  return {
    issuer: oidc.issuer ?? "",
    clientId: oidc.clientId ?? "",
    ...(oidc.cookieName === undefined ? {} : { cookieName: oidc.cookieName }),
    scopeRolePrefix: oidc.scopeRolePrefix ?? DEFAULT_SCOPE_ROLE_PREFIX,
    roleHeader: DEFAULT_IDENTITY_HEADERS.role,
    claims: claims(oidc.claims),
    timeoutMs: oidc.timeoutMs ?? DEFAULT_OIDC_TIMEOUT_MS,
    tlsInsecure: oidc.tlsInsecure ?? false,
  };
}

function envOidc(oidc: AuthSettings["oidc"]): OidcPolicy | undefined {
  if (!oidc) return undefined;
  return {
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    ...(oidc.cookieName ? { cookieName: oidc.cookieName } : {}),
    scopeRolePrefix: oidc.scopeRolePrefix || DEFAULT_SCOPE_ROLE_PREFIX,
    roleHeader: DEFAULT_IDENTITY_HEADERS.role,
    claims: claims({
      ...(oidc.roleClaim ? { role: oidc.roleClaim } : {}),
      ...(oidc.userIdClaim ? { userId: oidc.userIdClaim } : {}),
      ...(oidc.usernameClaim ? { userName: oidc.usernameClaim } : {}),
    }),
    timeoutMs: oidc.timeoutMs ?? DEFAULT_OIDC_TIMEOUT_MS,
    tlsInsecure: oidc.tlsInsecure ?? false,
  };
}

/** An entry's name is its identity's provider: unique across api-keys and jwt, and not the chain's own. */
function checkNames(file: AuthFile): void {
  const seen = new Map<string, string>();
  for (const { name, path } of [...file.apiKeys, ...file.jwt]) {
    if (RESERVED_NAMES.has(name)) {
      throw fileError(
        path,
        `"${name}" names one of the chain's own providers (${[...RESERVED_NAMES].join(", ")})`,
      );
    }
    const other = seen.get(name);
    if (other !== undefined) {
      throw fileError(path, `has the name of ${other}: an entry's name is its provider's, give each its own`);
    }
    seen.set(name, path);
  }
}

/**
 * hugr keys its credential providers by header, so two on one header break each other (which one
 * answers depends on map order). Refused: a static key on a header another provider reads (another
 * key, the managed keys' x-hugr-api-key, the secret key's x-hugr-secret-key, bearer tokens'
 * Authorization), or on a header that names a role or user.
 */
function checkHeaders(policy: AuthPolicy, file: AuthFile): void {
  const readers = new Map<string, string>([
    [SECRET_KEY_HEADER, "the secret key (secret-key, SECRET_KEY)"],
    ["authorization", "bearer tokens (jwt, OIDC)"],
  ]);
  if (policy.managedApiKeys) {
    readers.set(API_KEY_HEADER, "the managed API keys (managed-api-keys, ALLOW_MANAGED_API_KEYS)");
  }
  const identities = identityHeaders(policy, file);
  policy.apiKeys.forEach((key, index) => {
    const path = file.apiKeys[index]?.path ?? key.name;
    const reader = readers.get(key.header);
    if (reader !== undefined) {
      throw fileError(
        path,
        `header ${key.header} is also read by ${reader}: two providers on one header break each other, give this key another header`,
      );
    }
    const identity = identities.get(key.header);
    if (identity !== undefined) {
      throw fileError(path, `header ${key.header} is also ${identity}: give this key another header`);
    }
    readers.set(key.header, path);
  });
}

/** Headers that name a role or user, each with what it is, for messages. */
function identityHeaders(policy: AuthPolicy, file: AuthFile): Map<string, string> {
  const headers = new Map<string, string>();
  const add = (header: string, what: string): void => {
    if (!headers.has(header)) headers.set(header, what);
  };
  add(policy.impersonation.role, "the impersonation role header");
  add(policy.impersonation.userId, "the impersonation user id header");
  add(policy.impersonation.userName, "the impersonation user name header");
  policy.apiKeys.forEach((key, index) => {
    const path = file.apiKeys[index]?.path ?? key.name;
    add(key.headers.role, `${path}'s role header`);
    add(key.headers.userId, `${path}'s user id header`);
    add(key.headers.userName, `${path}'s user name header`);
  });
  policy.jwt.forEach((jwt, index) =>
    add(jwt.roleHeader, `${file.jwt[index]?.path ?? jwt.name}'s role header`),
  );
  if (policy.oidc) add(policy.oidc.roleHeader, "OIDC's role header");
  return headers;
}

/** An open policy, or one that refuses every request. */
function accessWarnings(policy: AuthPolicy): string[] {
  const { anonymous } = policy;
  if (policy.open && anonymous.allowed) {
    return [
      `no authentication is configured (no SECRET_KEY, auth file, OIDC or managed API keys): anonymous requests have role ${anonymous.role}`,
    ];
  }
  const credentials =
    policy.secretKey !== undefined ||
    policy.managedApiKeys ||
    policy.apiKeys.length > 0 ||
    policy.jwt.length > 0 ||
    policy.oidc !== undefined;
  if (!anonymous.allowed && !credentials) {
    return ["every request is refused: anonymous access is off and no credential of any kind is configured"];
  }
  return [];
}

/** Settings of the file that do not do what they seem to. */
function fileWarnings(settings: AuthSettings, file: AuthFile): string[] {
  const found: string[] = [];
  if (file.anonymous.allowed === false && settings.allowedAnonymous) {
    found.push(
      "the auth file's anonymous.allowed: false does not turn anonymous access off (hugr's rule): set ALLOWED_ANONYMOUS=false",
    );
  }
  for (const path of file.ignored) {
    found.push(
      `the auth file's ${path} is accepted but not acted on: hugr's browser login redirects are not implemented`,
    );
  }
  return found;
}
