import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/**
 * Structured JSON logs on stdout. Fields that can carry secrets are redacted by path as a safety
 * net; code must still never log a DSN, a key or a password in a message.
 */
export function createLogger(level: string, component = "worker"): Logger {
  return pino({
    level,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ["*.password", "*.secret", "*.secretKey", "*.url", "*.path", "headers.authorization"],
      censor: "[redacted]",
    },
  });
}
