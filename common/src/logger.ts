import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** Fields database drivers attach to errors that can carry bound values (a DSN, a storage secret). */
const DRIVER_ERROR_FIELDS = ["query", "parameters", "params", "args", "types"] as const;

/**
 * Structured JSON logs on stdout. Fields that can carry secrets are redacted by path as a safety
 * net, and errors lose the statement and bound values drivers attach to them; code must still
 * never log a DSN, a key or a password in a message.
 */
export function createLogger(
  level: string,
  component = "worker",
  destination: pino.DestinationStream = process.stdout,
): Logger {
  return pino(
    {
      level,
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      redact: {
        paths: ["*.password", "*.secret", "*.secretKey", "*.url", "*.path", "headers.authorization"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/** An error as an object without its driver fields; a message given as `err` stays a string. */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized: Record<string, unknown> = { ...pino.stdSerializers.err(error) };
  for (const field of DRIVER_ERROR_FIELDS) delete serialized[field];
  return serialized;
}
