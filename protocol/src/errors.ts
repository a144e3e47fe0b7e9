import type { ErrorCode, ErrorEnvelope } from "./contract.js";

/**
 * What a protocol call can fail with: an error code of the other side's envelope, or one of the two
 * failures that have no answer at all (the peer could not be reached, or did not answer in time).
 */
export type ProtocolErrorCode = ErrorCode | "UNREACHABLE" | "TIMEOUT";

export interface ProtocolErrorOptions {
  /** The HTTP status of the answer; 0 (the default) when there was none. */
  status?: number;
  details?: Record<string, unknown>;
  /** The underlying failure (a fetch error), for logs; it never holds the secret. */
  cause?: unknown;
}

/**
 * A call to the management API or the node API failed. Messages name the peer (host:port) and what
 * went wrong, never the cluster secret or the signature headers.
 */
export class ProtocolError extends Error {
  /** The HTTP status, or 0 when there was no HTTP answer (UNREACHABLE, TIMEOUT). */
  readonly status: number;
  readonly code: ProtocolErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ProtocolErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProtocolError";
    this.code = code;
    this.status = options.status ?? 0;
    if (options.details !== undefined) this.details = options.details;
  }

  /**
   * Whether trying the same call again later may succeed: no answer, or a 5xx. A 4xx — above all
   * 401 UNAUTHORIZED (wrong secret) — is permanent for that request and must not be read as an outage.
   */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

/** The one error body of both APIs: `{ error: { code, message, details? } }`. */
export function errorEnvelope(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ErrorEnvelope {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Replaces every occurrence of `secret` in `text` with "***": a last line of defence for messages
 * built from text we do not control (a peer's error message, a network library's cause).
 */
export function redactSecret(text: string, secret: string): string {
  return secret.length === 0 ? text : text.split(secret).join("***");
}
