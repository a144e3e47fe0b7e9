/** What hugr's work nodes and management node share: environment-variable parsing and the logger. */
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
  type LogLevel,
} from "./env/sections.js";
export { createLogger, type Logger } from "./logger.js";
export { listen, type Listening } from "./serve.js";
export { configureOrExit, exitOnSignals } from "./process.js";
