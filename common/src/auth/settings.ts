import { readFileSync } from "node:fs";
import type { AuthConfigFile, AuthSettings } from "@hugr/protocol";
import { ConfigError } from "../env/errors.js";
import type { Env } from "../env/readers.js";
import { readAuth, type AuthConfig } from "../env/sections.js";

/**
 * The environment and the auth file, as one node reads them, in the wire form the management node
 * sends to work nodes: work nodes and the management node read them alike. Nothing here judges the
 * auth file's contents; `buildAuthPolicy` does, once the settings are complete.
 */

/**
 * hugr's auth file format, decided by the name's extension (any case), as hugr does: `.yaml` and
 * `.yml` are YAML, `.json` is JSON; undefined for any other name.
 */
export function authConfigFormat(name: string): AuthConfigFile["format"] | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".json")) return "json";
  return undefined;
}

/**
 * Reads the auth file at `path` (AUTH_CONFIG_FILE). Throws a ConfigError naming AUTH_CONFIG_FILE when
 * the extension is not one hugr reads or the file cannot be read; the contents are not checked here.
 */
export function readAuthConfigFile(path: string): AuthConfigFile {
  const format = authConfigFormat(path);
  if (format === undefined) {
    throw new ConfigError(
      "AUTH_CONFIG_FILE",
      "must end in .yaml, .yml or .json: the extension says how the file is read, as in hugr",
      path,
    );
  }
  let contents: string;
  try {
    contents = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      "AUTH_CONFIG_FILE",
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      path,
    );
  }
  return { name: path, format, contents };
}

/**
 * ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, ALLOW_MANAGED_API_KEYS, OIDC_* and the contents of
 * AUTH_CONFIG_FILE, read once, as the settings every node applies. Absent optional fields mean "not
 * set", so the configuration's content version changes only when a setting does.
 */
export function readAuthSettings(env: Env): AuthSettings {
  return toAuthSettings(readAuth(env));
}

function toAuthSettings(auth: AuthConfig): AuthSettings {
  const settings: AuthSettings = { allowedAnonymous: auth.allowedAnonymous };
  if (auth.anonymousRole !== undefined) settings.anonymousRole = auth.anonymousRole;
  if (auth.secretKey !== undefined) settings.secretKey = auth.secretKey;
  if (auth.managedApiKeys) settings.managedApiKeys = true;
  if (auth.configFile !== undefined) settings.authConfig = readAuthConfigFile(auth.configFile);
  const { oidc } = auth;
  if (oidc.issuer !== undefined && oidc.clientId !== undefined) {
    settings.oidc = {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      ...(oidc.cookieName === "" ? {} : { cookieName: oidc.cookieName }),
      scopeRolePrefix: oidc.scopeRolePrefix,
      usernameClaim: oidc.usernameClaim,
      userIdClaim: oidc.userIdClaim,
      roleClaim: oidc.roleClaim,
      timeoutMs: oidc.timeoutMs,
      tlsInsecure: oidc.tlsInsecure,
    };
  }
  return settings;
}
