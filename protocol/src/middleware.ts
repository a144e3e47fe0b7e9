import type { Context, Env, Hono, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode, Route, RouteParams } from "./contract.js";
import { errorEnvelope } from "./errors.js";
import { createReplayCache, verifyRequest, type ReplayCache } from "./signing.js";
import { BadRequest } from "./validate.js";

/** Large enough for any management or node API body (a cluster config with storages is a few KB). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of a body that is too large is read and dropped before the 413. Answering while the
 * client still sends makes the server close the connection under it (@hono/node-server cuts an
 * unread body off 500 ms after the answer), and the client sees a broken pipe instead of the 413.
 * Dropping costs no memory; Node's requestTimeout (300 s) bounds the time a slow sender can take.
 * Beyond this the answer comes at once and the connection is closed.
 */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

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
 * A larger body is 413 PAYLOAD_TOO_LARGE, answered once the client has sent it (see
 * DISCARD_MAX_BYTES). Mount it before anything else that reads the body.
 */
export function verifySignature(options: VerifySignatureOptions): MiddlewareHandler {
  if (options.secret.length === 0) throw new TypeError("the cluster secret must not be empty");
  const replayCache = options.replayCache ?? createReplayCache();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const verifyOptions = { secret: options.secret, replayCache, maxSkewMs: options.maxSkewMs };

  return async function verifyRequestSignature(c, next) {
    // A body that would be dropped anyway is not read at all.
    if (declaredLength(c) > DISCARD_MAX_BYTES) return tooLarge(c, maxBodyBytes, false);
    const { body, ended } = await readBody(c.req.raw, maxBodyBytes);
    if (body === undefined) return tooLarge(c, maxBodyBytes, ended);
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

/** The declared Content-Length, or 0 when absent or unparsable (the bytes received are counted anyway). */
function declaredLength(c: Context): number {
  const header = c.req.header("content-length");
  const length = header === undefined ? 0 : Number(header);
  return Number.isFinite(length) ? length : 0;
}

/**
 * The checked path parameters and JSON body of a request to `route`, by the contract's checks
 * (validate.ts): a bad one is a BadRequest naming the field, and so is a body that is not JSON.
 */
export async function readRequest<Pattern extends string, Body>(
  c: Context,
  route: Route<Pattern, Body>,
): Promise<{ params: RouteParams<Pattern>; body: Body }> {
  const checked: Record<string, string> = {};
  for (const [name, check] of Object.entries<(value: string) => string>(route.params)) {
    checked[name] = check(c.req.param(name) ?? "");
  }
  const params = checked as RouteParams<Pattern>;
  if (route.body === undefined) return { params, body: undefined as Body };
  let json: unknown;
  try {
    json = await c.req.json();
  } catch (error) {
    if (error instanceof SyntaxError) throw new BadRequest("body is not valid JSON");
    throw error;
  }
  return { params, body: route.body(json, params) };
}

/** A route's handler: it receives the request already checked by readRequest. */
export type RouteHandler<E extends Env, Pattern extends string, Body> = (
  c: Context<E>,
  request: { params: RouteParams<Pattern>; body: Body },
) => Response | Promise<Response>;

/** Serves `route` of the contract on `app`: its method and pattern, its checks, then `handler`. */
export function serveRoute<E extends Env, Pattern extends string, Body>(
  app: Hono<E>,
  route: Route<Pattern, Body>,
  handler: RouteHandler<E, Pattern, Body>,
): void {
  app.on(route.method, route.pattern, async (c) => handler(c, await readRequest(c, route)));
}

interface ReadBody {
  /** The whole body; undefined when it exceeded the limit. */
  body: Uint8Array<ArrayBuffer> | undefined;
  /** Whether the client finished sending; false only past DISCARD_MAX_BYTES. */
  ended: boolean;
}

/**
 * Reads the whole body, keeping at most `limit` bytes: past it the rest is read and dropped (up to
 * DISCARD_MAX_BYTES), so a chunked body without Content-Length is never buffered beyond the limit
 * and the client is not cut off while it sends. The stream is never cancelled: that would destroy
 * the connection before the answer is written.
 */
async function readBody(request: Request, limit: number): Promise<ReadBody> {
  if (request.body === null) return { body: new Uint8Array(0), ended: true };
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Request.body is typed loosely by @types/node; a request body stream yields bytes.
  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { body: size > limit ? undefined : concat(chunks, size), ended: true };
    size += value.byteLength;
    if (size > DISCARD_MAX_BYTES) return { body: undefined, ended: false };
    if (size <= limit) chunks.push(value);
  }
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

/** The 413; when the client was still sending, the connection closes after it (its rest is unread). */
function tooLarge(c: Context, maxBodyBytes: number, bodyEnded: boolean): Response {
  if (!bodyEnded) c.header("connection", "close");
  return jsonError(c, 413, "PAYLOAD_TOO_LARGE", `request body exceeds ${maxBodyBytes} bytes`, {
    maxBodyBytes,
  });
}
