import postgres from "postgres";
import { redactSecrets } from "@hugr/common";
import { SourceConnectionError, SourceQueryError } from "../errors.js";

/** A Node socket or postgres.js connection failure: a code and, often, where it tried. */
interface NetworkFailure {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  errors?: unknown;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the server",
  ETIMEDOUT: "connection timed out",
  CONNECT_TIMEOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  CONNECTION_CLOSED: "the server closed the connection",
  CONNECTION_DESTROYED: "the connection was closed",
};

/** The failure a query meets after `close()`. */
const ENDED = "CONNECTION_ENDED";

/**
 * The reason a driver error gives, without the DSN: the server's message for a PostgresError (which
 * never quotes the password), a fixed phrase plus host:port for a network failure. The final redaction
 * is a second line of defence against a driver message that quotes its options.
 */
function describe(error: unknown, dsn: string): { reason: string; code: string | undefined } {
  if (error instanceof postgres.PostgresError)
    return { reason: redactSecrets(error.message, [dsn]), code: error.code };
  const failure = networkFailure(error);
  const code = typeof failure.code === "string" ? failure.code : undefined;
  const phrase = code === undefined ? undefined : NETWORK_REASONS[code];
  if (phrase === undefined) {
    const message = error instanceof Error ? error.message : String(error);
    return { reason: redactSecrets(message, [dsn]), code };
  }
  const where = location(failure);
  return { reason: redactSecrets(where ? `${phrase} (${where})` : phrase, [dsn]), code };
}

/** Node reports a refused dual-stack connect as an AggregateError of one failure per address. */
function networkFailure(error: unknown): NetworkFailure {
  if (typeof error !== "object" || error === null) return {};
  const failure = error as NetworkFailure;
  const first: unknown = Array.isArray(failure.errors) ? failure.errors[0] : undefined;
  if (typeof first === "object" && first !== null)
    return { ...(first as NetworkFailure), code: failure.code };
  return failure;
}

function location(failure: NetworkFailure): string | undefined {
  if (typeof failure.hostname === "string") return failure.hostname;
  if (typeof failure.address !== "string") return undefined;
  return typeof failure.port === "number" ? `${failure.address}:${failure.port}` : failure.address;
}

/** The error `openPostgresEngine` throws when the first connection fails. */
export function connectionError(error: unknown, dsn: string): SourceConnectionError {
  const { reason, code } = describe(error, dsn);
  return new SourceConnectionError("postgres", `cannot connect to the data source: ${reason}`, code);
}

/** The error a statement's failure becomes: the server's message, SQLSTATE, DETAIL and HINT. */
export function queryError(error: unknown, dsn: string): SourceQueryError {
  const { reason, code } = describe(error, dsn);
  if (error instanceof postgres.PostgresError) {
    const redact = (text: string | undefined): string | undefined =>
      text === undefined ? undefined : redactSecrets(text, [dsn]);
    return new SourceQueryError("postgres", reason, {
      code,
      detail: redact(error.detail),
      hint: redact(error.hint),
    });
  }
  if (code === ENDED)
    return new SourceQueryError("postgres", "the data source is closed", { code: "CLOSED" });
  const network = code !== undefined && code in NETWORK_REASONS;
  return new SourceQueryError("postgres", network ? `data source connection failed: ${reason}` : reason, {
    code,
  });
}
