import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "./contract.js";
import { errorEnvelope } from "./errors.js";
import { createReplayCache, verifyRequest, type ReplayCache } from "./signing.js";

/** Large enough for any management or node API body (a cluster config with storages is a few KB). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface VerifySignatureOptions {
  /** The cluster secret. */
  secret: string;
  /** Accepted clock difference, past and future; default 30,000 ms. */
  maxSkewMs?: number;
  /**
   * Nonces of accepted requests; default: a new bounded cache (100,000 nonces) for this middleware.
   * Pass one cache to every middleware of a server that checks the same secret.
   */
  replayCache?: ReplayCache;
  /** Largest accepted body; default 1 MiB. Larger bodies get 413 before any signature work. */
  maxBodyBytes?: number;
}

/**
 * Rejects every request whose signature (see signing.ts) does not verify, before any handler runs.
 *
 * The answer is 401 UNAUTHORIZED and not 503: a bad signature is permanent for that request — the
 * secrets differ or the bytes were tampered with — so sending the same bytes again cannot succeed,
 * and callers must not count it as an outage (mark a node unhealthy, retry with backoff). A 503
 * would hide a misconfigured secret behind endless retries.
 *
 * The body is read once here (bounded by `maxBodyBytes`, checked on Content-Length first, then on
 * the bytes actually received) and put back on `c.req.raw`, so handlers still call `c.req.json()`.
 * Mount it before anything else that reads the body.
 */
export function verifySignature(options: VerifySignatureOptions): MiddlewareHandler {
  if (options.secret.length === 0) throw new TypeError("the cluster secret must not be empty");
  const replayCache = options.replayCache ?? createReplayCache();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const verifyOptions = { secret: options.secret, replayCache, maxSkewMs: options.maxSkewMs };

  return async function verifyRequestSignature(c, next) {
    if (declaredLength(c) > maxBodyBytes) return tooLarge(c, maxBodyBytes);
    const body = await readBody(c.req.raw, maxBodyBytes);
    if (body === undefined) return tooLarge(c, maxBodyBytes);
    if (c.req.raw.body !== null) c.req.raw = new Request(c.req.raw, { body });
    const url = new URL(c.req.url);
    const result = verifyRequest(verifyOptions, {
      method: c.req.method,
      pathWithQuery: url.pathname + url.search,
      body,
      headers: c.req.raw.headers,
    });
    if (!result.ok) {
      return jsonError(c, 401, "UNAUTHORIZED", `request signature rejected: ${result.reason}`);
    }
    await next();
  };
}

/** Writes the error envelope `{ error: { code, message, details? } }` with `status`. */
// eslint-disable-next-line max-params -- errorEnvelope's parameters plus the context and status
export function jsonError(
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): Response {
  return c.json(errorEnvelope(code, message, details), status);
}

/** The declared Content-Length, or 0 when absent or unparsable (the actual size is checked anyway). */
function declaredLength(c: Context): number {
  const header = c.req.header("content-length");
  const length = header === undefined ? 0 : Number(header);
  return Number.isFinite(length) ? length : 0;
}

/**
 * Reads the whole body, or returns undefined as soon as it exceeds `limit` (a chunked body without
 * Content-Length is never buffered beyond the limit).
 */
async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Request.body is typed loosely by @types/node; a request body stream yields bytes.
  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

/** One contiguous copy: a body for the replacement Request that no other reader holds. */
function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(c: Context, maxBodyBytes: number): Response {
  return jsonError(c, 413, "PAYLOAD_TOO_LARGE", `request body exceeds ${maxBodyBytes} bytes`, {
    maxBodyBytes,
  });
}
