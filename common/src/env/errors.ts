import { maskDsn } from "../secrets/dsn.js";
/**
 * Variables whose values are credentials: an error about them never shows the value, only the
 * variable and what is wrong (for instance its length or that it has surrounding whitespace).
 * Errors raised by `readSecret` hide the value of any variable, listed here or not.
 */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(["CLUSTER_SECRET", "SECRET_KEY", "CACHE_L2_PASSWORD"]);

/**
 * An environment variable of a hugr node holds an unusable value. The message reads
 * `${variable}: <what is wrong> (got "<value>")`; the value is left out for secret variables and
 * any password inside a URL is replaced by "***". The raw value is never stored on the error.
 */
export class ConfigError extends Error {
  /** The environment variable at fault, e.g. "CACHE_TTL". */
  readonly variable: string;

  /**
   * @param variable the environment variable at fault
   * @param problem what is wrong, phrased to follow "<variable>: "
   * @param value the offending value, if there is one to show (omit for "is required")
   * @param secret hide the value whatever the variable (default: only for the known secret variables)
   */
  constructor(variable: string, problem: string, value?: string, secret = SECRET_VARIABLES.has(variable)) {
    super(`${variable}: ${problem}${describeValue(value, secret)}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

/** The `(got "...")` suffix, safe to log. */
function describeValue(value: string | undefined, secret: boolean): string {
  if (value === undefined) return "";
  if (secret) return " (value hidden)";
  return ` (got "${maskDsn(value)}")`;
}
