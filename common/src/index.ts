/**
 * What hugr's work nodes and management node share: environment-variable parsing, the
 * authentication policy and the logger.
 */
export * from "./auth/policy.js";
export { ConfigError } from "./env/errors.js";
export { carriesSecret, maskDsn, redactSecrets } from "./secrets/dsn.js";
export { checkDuration, parseDuration, type DurationCheck } from "./env/duration.js";
export {
  MAX_TIMER_MS,
  readAddresses,
  readBool,
  readChoice,
  readDuration,
  readHttpUrl,
  readInt,
  readList,
  readRaw,
  readSecret,
  readString,
  required,
  splitHostPort,
  type Env,
} from "./env/readers.js";
export {
  readAuth,
  readBind,
  readCoreDb,
  readDataDir,
  readLogLevel,
  type AuthConfig,
  type CoreDbConfig,
  type LogLevel,
} from "./env/sections.js";
export {
  API_KEY_HEADER,
  authConfigFormat,
  buildAuthPolicy,
  DEFAULT_CLAIMS,
  DEFAULT_IDENTITY_HEADERS,
  DEFAULT_OIDC_TIMEOUT_MS,
  DEFAULT_SCOPE_ROLE_PREFIX,
  IMPERSONATION_HEADERS,
  readAuthConfigFile,
  readAuthSettings,
  SECRET_KEY_HEADER,
  type AuthPolicy,
  type ClaimNames,
  type IdentityHeaders,
  type JwtKeySource,
  type JwtPolicy,
  type OidcPolicy,
  type StaticApiKeyPolicy,
} from "./auth/index.js";
export { createLogger, type Logger } from "./logger.js";
export { listen, type Listening } from "./serve.js";
export { configureOrExit, exitOnSignals } from "./process.js";
