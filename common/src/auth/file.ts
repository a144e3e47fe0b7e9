import type { AuthConfigFile } from "@hugr/protocol";
import { parseDocument } from "yaml";
import { checkDuration } from "../env/duration.js";
import { MAX_TIMER_MS } from "../env/readers.js";
import {
  entries,
  fields,
  fileError,
  flag,
  header,
  httpUrl,
  secret,
  text,
  textList,
  type Field,
  type FileFormat,
} from "./fields.js";
import { checkPublicKey } from "./public-key.js";
import type { JwtKeySource } from "./policy.js";

/**
 * hugr's auth file, parsed and checked key by key, before it is merged with the environment
 * (build.ts). Unknown keys are errors (hugr ignores them silently, so a typo configures nothing).
 * Keys are listed as hugr's YAML spells them: kebab-case, except inside `oidc`; JSON spells them all
 * in snake_case.
 */

/** Role, user id and user name: header names (api-keys) or claim names (jwt, oidc). */
export interface FileIdentityNames {
  role?: string;
  userId?: string;
  userName?: string;
}

export interface FileApiKey {
  name: string;
  /** The entry's path as written, e.g. `api-keys.reporting`, for messages. */
  path: string;
  key: string;
  header?: string;
  defaultRole?: string;
  allowedRoles: string[];
  headers: FileIdentityNames;
}

export interface FileJwt {
  name: string;
  path: string;
  keys: JwtKeySource;
  issuer?: string;
  audience?: string;
  cookieName?: string;
  scopeRolePrefix?: string;
  roleHeader?: string;
  claims: FileIdentityNames;
}

export interface FileOidc {
  issuer?: string;
  clientId?: string;
  timeoutMs?: number;
  tlsInsecure?: boolean;
  cookieName?: string;
  scopeRolePrefix?: string;
  claims: FileIdentityNames;
}

export interface AuthFile {
  secretKey?: string;
  anonymous: { allowed?: boolean; role?: string };
  managedApiKeys?: boolean;
  apiKeys: FileApiKey[];
  jwt: FileJwt[];
  oidc?: FileOidc;
  /** hugr's keys this implementation reads but does not act on (its browser login redirects). */
  ignored: string[];
}

const TOP = [
  "secret-key",
  "anonymous",
  "managed-api-keys",
  "api-keys",
  "jwt",
  "oidc",
  "redirect-login-paths",
  "login-url",
  "redirect-url",
] as const;
const IGNORED = ["redirect-login-paths", "login-url", "redirect-url"] as const;
const ANONYMOUS = ["allowed", "role"];
const API_KEY = ["key", "header", "default-role", "allowed-roles", "headers"];
const IDENTITY = ["role", "user-id", "user-name"];
const JWT = [
  "issuer",
  "public-key",
  "jwks-url",
  "audience",
  "cookie-name",
  "scope-role-prefix",
  "role-header",
  "claims",
];
/** hugr's YAML spells these in snake_case (its OIDCConfig's tags); `claims` inside stays kebab-case. */
const OIDC = ["issuer", "client_id", "timeout", "tls_insecure", "cookie_name", "scope_role_prefix", "claims"];

/** Parses and checks the auth file; throws a ConfigError of AUTH_CONFIG_FILE naming the first wrong key. */
export function readAuthFile(file: AuthConfigFile): AuthFile {
  const { format } = file;
  // An empty file configures nothing, as in hugr.
  const top = fields(parse(file) ?? {}, "", TOP, format);
  return {
    ...optional("secretKey", secret(top.get("secret-key"))),
    anonymous: anonymous(top.get("anonymous"), format),
    ...optional("managedApiKeys", flag(top.get("managed-api-keys"))),
    apiKeys: entries(top.get("api-keys"), format).map((entry) => apiKey(entry, format)),
    jwt: entries(top.get("jwt"), format).map((entry) => jwt(entry, format)),
    ...optional("oidc", top.has("oidc") ? oidc(top.get("oidc"), format) : undefined),
    ignored: ignored(top),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The tree of the file, or an error with the position only: a parser's excerpt could show a key. */
function parse(file: AuthConfigFile): unknown {
  if (file.format === "json") {
    try {
      return JSON.parse(file.contents) as unknown;
    } catch (error) {
      const where = /\(line \d+ column \d+\)|at position \d+/u.exec((error as Error).message);
      throw fileError("", `is not valid JSON${where ? ` (${where[0].replace(/^\(|\)$/gu, "")})` : ""}`);
    }
  }
  const document = parseDocument(file.contents, { prettyErrors: true, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const where = error.linePos?.[0];
    const position = where ? ` at line ${where.line}, column ${where.col}` : "";
    throw fileError("", `is not valid YAML${position}: ${yamlProblem(error.message)}`);
  }
  try {
    return document.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    // An alias without its anchor, or too many aliases (an expansion bomb); the names are left out.
    throw fileError("", "is not valid YAML: an alias (*name) refers to no anchor, or aliases expand too far");
  }
}

/** The first line of a YAML error, without its position and the excerpt that follows it. */
function yamlProblem(message: string): string {
  const [first = ""] = message.split("\n");
  return first.replace(/ at line \d+, column \d+:?$/u, "").trim();
}

function anonymous(field: Field | undefined, format: FileFormat): AuthFile["anonymous"] {
  if (field === undefined) return {};
  const values = fields(field.value, field.path, ANONYMOUS, format);
  return {
    ...optional("allowed", flag(values.get("allowed"))),
    ...optional("role", text(values.get("role"))),
  };
}

function identity(field: Field | undefined, format: FileFormat, read: typeof text): FileIdentityNames {
  if (field === undefined) return {};
  const values = fields(field.value, field.path, IDENTITY, format);
  return {
    ...optional("role", read(values.get("role"))),
    ...optional("userId", read(values.get("user-id"))),
    ...optional("userName", read(values.get("user-name"))),
  };
}

function apiKey(entry: Field, format: FileFormat): FileApiKey {
  const values = fields(entry.value, entry.path, API_KEY, format);
  const key = secret(values.get("key"));
  if (key === undefined) throw fileError(entry.path, "needs a key (the value clients send)");
  return {
    name: entryName(entry.path),
    path: entry.path,
    key,
    ...optional("header", header(values.get("header"))),
    ...optional("defaultRole", text(values.get("default-role"))),
    allowedRoles: textList(values.get("allowed-roles")),
    headers: identity(values.get("headers"), format, header),
  };
}

function jwt(entry: Field, format: FileFormat): FileJwt {
  const values = fields(entry.value, entry.path, JWT, format);
  return {
    name: entryName(entry.path),
    path: entry.path,
    keys: jwtKeys(entry.path, values),
    ...optional("issuer", text(values.get("issuer"))),
    ...optional("audience", text(values.get("audience"))),
    ...optional("cookieName", text(values.get("cookie-name"))),
    ...optional("scopeRolePrefix", text(values.get("scope-role-prefix"))),
    ...optional("roleHeader", header(values.get("role-header"))),
    claims: identity(values.get("claims"), format, text),
  };
}

/** Exactly one of public-key (hugr's) and jwks-url (ours). */
function jwtKeys(path: string, values: ReadonlyMap<string, Field>): JwtKeySource {
  const publicKey = values.get("public-key");
  const pem = text(publicKey);
  const url = httpUrl(values.get("jwks-url"));
  if ((pem === undefined) === (url === undefined)) {
    throw fileError(path, "give one of public-key (a PEM public key) and jwks-url (the issuer's JWKS)");
  }
  if (url !== undefined) return { kind: "jwks", url };
  const check = checkPublicKey(pem ?? "");
  if (!check.ok) throw fileError(publicKey?.path ?? path, check.problem);
  return { kind: "pem", pem: check.pem };
}

function oidc(field: Field | undefined, format: FileFormat): FileOidc {
  if (field === undefined) return { claims: {} };
  const values = fields(field.value, field.path, OIDC, format);
  const issuer = httpUrl(values.get("issuer"));
  const clientId = text(values.get("client-id"));
  if (issuer !== undefined && clientId === undefined) {
    throw fileError(field.path, "needs a client_id with an issuer (tokens' audience is checked against it)");
  }
  return {
    ...optional("issuer", issuer),
    ...optional("clientId", clientId),
    ...optional("timeoutMs", duration(values.get("timeout"))),
    ...optional("tlsInsecure", flag(values.get("tls-insecure"))),
    ...optional("cookieName", text(values.get("cookie-name"))),
    ...optional("scopeRolePrefix", text(values.get("scope-role-prefix"))),
    claims: identity(values.get("claims"), format, text),
  };
}

/** A Go duration string such as "10s" (a bare number would be nanoseconds in hugr: refused). */
function duration(field: Field | undefined): number | undefined {
  const value = text(field);
  if (value === undefined || field === undefined) return undefined;
  const check = checkDuration(value);
  if (!check.ok) throw fileError(field.path, `is not a duration such as "10s": ${check.problem}`);
  if (check.ms <= 0 || check.ms > MAX_TIMER_MS) {
    throw fileError(field.path, `must be more than zero and at most ${MAX_TIMER_MS} ms`);
  }
  return check.ms;
}

function ignored(top: ReadonlyMap<string, Field>): string[] {
  return IGNORED.flatMap((key) => {
    const field = top.get(key);
    return field ? [field.path] : [];
  });
}

/** The last segment of an entry's path: its name. */
function entryName(path: string): string {
  return path.slice(path.indexOf(".") + 1);
}
