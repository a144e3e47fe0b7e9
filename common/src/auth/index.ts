/** Authentication settings: reading them (env and auth file) and checking them into the policy nodes enforce. */
export { buildAuthPolicy } from "./build.js";
export { authConfigFormat, readAuthConfigFile, readAuthSettings } from "./settings.js";
export {
  API_KEY_HEADER,
  DEFAULT_CLAIMS,
  DEFAULT_IDENTITY_HEADERS,
  DEFAULT_OIDC_TIMEOUT_MS,
  DEFAULT_SCOPE_ROLE_PREFIX,
  IMPERSONATION_HEADERS,
  SECRET_KEY_HEADER,
  type AuthPolicy,
  type ClaimNames,
  type IdentityHeaders,
  type JwtKeySource,
  type JwtPolicy,
  type OidcPolicy,
  type StaticApiKeyPolicy,
} from "./policy.js";
