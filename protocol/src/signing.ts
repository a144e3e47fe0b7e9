/**
 * HMAC request signing, used in both directions (work node -> management node and back).
 *
 * The original sent the shared secret itself in a header and compared it with `!=`: anyone who saw
 * one request owned the cluster, and the comparison leaked timing. Here the secret never travels;
 * each request carries a timestamp, a random nonce and an HMAC-SHA256 over
 *
 *   "v1" \n METHOD \n path?query \n timestamp \n nonce \n sha256hex(body)
 *
 * so a captured request cannot be altered (method, path, query and body are covered), replayed
 * (nonce remembered while the timestamp is acceptable) or reused later (bounded clock skew).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The three headers a signed request carries. */
export const SIGNATURE_HEADERS = {
  /** Unix time in milliseconds, decimal. */
  timestamp: "x-hugr-timestamp",
  /** 16 random bytes, lowercase hex: makes every request unique, so a replay can be recognised. */
  nonce: "x-hugr-nonce",
  /** `v1=` followed by the lowercase hex HMAC-SHA256 of the canonical string. */
  signature: "x-hugr-signature",
} as const;

/** The scheme tag: part of the canonical string and of the signature header, so a v2 cannot be downgraded. */
const SCHEME = "v1";
/** Accepted clock difference between signer and verifier, in both directions. */
const DEFAULT_MAX_SKEW_MS = 30_000;
/** Enough for ~1,600 signed requests a second inside a 60 s window, at a few MB of memory. */
const DEFAULT_REPLAY_CACHE_ENTRIES = 100_000;
const NONCE_BYTES = 16;

const TIMESTAMP_PATTERN = /^\d{1,15}$/;
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const SIGNATURE_PATTERN = /^v1=((?:[0-9a-f]{2})+)$/;

/** What is signed: the request exactly as it goes over the wire. */
export interface SignableRequest {
  method: string;
  /** The URL's pathname and search (`/v1/nodes?x=1`), percent-encoded as sent. */
  pathWithQuery: string;
  /** The exact body bytes (a string is taken as UTF-8); empty for no body. */
  body: string | Uint8Array;
}

/** Remembers nonces of accepted requests until their timestamps can no longer pass the skew check. */
export interface ReplayCache {
  /**
   * Records `nonce` until `expiresAt`. Returns false when the nonce is already recorded and not yet
   * expired, i.e. the request is a replay.
   */
  remember(nonce: string, expiresAt: number, now: number): boolean;
  /** How many nonces are held (for tests and metrics); never above `maxEntries`. */
  readonly size: number;
}

export interface ReplayCacheOptions {
  /**
   * Upper bound of remembered nonces; default 100,000. When full, expired nonces are dropped first,
   * then the oldest: memory stays bounded even under a flood of valid requests.
   */
  maxEntries?: number;
}

export interface VerifyOptions {
  /** The cluster secret. */
  secret: string;
  /** Shared by all verifications of one server, so a replay is caught whichever route it hits. */
  replayCache: ReplayCache;
  /** Accepted clock difference, past and future; default 30,000 ms. Nonces are kept this long. */
  maxSkewMs?: number;
  /** The clock; default `Date.now`. */
  now?: () => number;
}

/** A request as received: the raw body bytes and the headers. */
export interface ReceivedRequest {
  method: string;
  pathWithQuery: string;
  body: Uint8Array;
  headers: Headers;
}

export type VerifyFailure =
  "missing signature" | "malformed signature" | "stale timestamp" | "bad signature" | "replayed request";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** Returns the three signature headers for `request`, signed with `secret` at `now` (default: the clock). */
export function signRequest(
  secret: string,
  request: SignableRequest,
  now: number = Date.now(),
): Record<string, string> {
  assertSecret(secret);
  const timestamp = String(Math.trunc(now));
  const nonce = randomBytes(NONCE_BYTES).toString("hex");
  const signature = hmac(secret, canonicalString(request, timestamp, nonce)).toString("hex");
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: `${SCHEME}=${signature}`,
  };
}

/**
 * Checks a received request. The order matters: cheap format checks first, then the clock, then the
 * constant-time HMAC comparison, and only a request with a valid signature reaches the replay cache,
 * so forged requests can neither fill it nor evict genuine nonces.
 */
export function verifyRequest(options: VerifyOptions, request: ReceivedRequest): VerifyResult {
  assertSecret(options.secret);
  const parsed = parseHeaders(request.headers);
  if (!parsed.ok) return parsed;
  const now = (options.now ?? Date.now)();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(now - parsed.timestamp) > maxSkewMs) return reject("stale timestamp");
  const expected = hmac(options.secret, canonicalString(request, parsed.timestampText, parsed.nonce));
  if (!sameBytes(expected, parsed.signature)) return reject("bad signature");
  const fresh = options.replayCache.remember(parsed.nonce, parsed.timestamp + maxSkewMs, now);
  return fresh ? { ok: true } : reject("replayed request");
}

/** A bounded nonce store; see {@link ReplayCacheOptions} for the eviction rule. */
export function createReplayCache(options: ReplayCacheOptions = {}): ReplayCache {
  const maxEntries = options.maxEntries ?? DEFAULT_REPLAY_CACHE_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`replay cache maxEntries must be a positive integer (got ${maxEntries})`);
  }
  // Insertion order is the eviction order; values are expiry times.
  const entries = new Map<string, number>();
  // A lower bound of every held expiry: sweeping before it would find nothing, so a full cache of
  // live nonces costs O(1) per insert instead of a full scan each time.
  let earliestExpiry = Number.POSITIVE_INFINITY;

  const sweepExpired = (now: number): void => {
    if (now < earliestExpiry) return;
    earliestExpiry = Number.POSITIVE_INFINITY;
    for (const [nonce, expiresAt] of entries) {
      if (expiresAt <= now) entries.delete(nonce);
      else earliestExpiry = Math.min(earliestExpiry, expiresAt);
    }
  };
  const evictOldest = (): void => {
    const oldest = entries.keys().next();
    if (!oldest.done) entries.delete(oldest.value);
  };

  return {
    remember(nonce, expiresAt, now) {
      const known = entries.get(nonce);
      if (known !== undefined && known > now) return false;
      entries.delete(nonce);
      if (entries.size >= maxEntries) sweepExpired(now);
      while (entries.size >= maxEntries) evictOldest();
      entries.set(nonce, expiresAt);
      earliestExpiry = Math.min(earliestExpiry, expiresAt);
      return true;
    },
    get size() {
      return entries.size;
    },
  };
}

type ParsedHeaders =
  | { ok: true; timestamp: number; timestampText: string; nonce: string; signature: Buffer }
  | { ok: false; reason: VerifyFailure };

function parseHeaders(headers: Headers): ParsedHeaders {
  const timestampText = headers.get(SIGNATURE_HEADERS.timestamp);
  const nonce = headers.get(SIGNATURE_HEADERS.nonce);
  const signature = headers.get(SIGNATURE_HEADERS.signature);
  if (timestampText === null || nonce === null || signature === null) return reject("missing signature");
  const digest = SIGNATURE_PATTERN.exec(signature)?.[1];
  if (!TIMESTAMP_PATTERN.test(timestampText) || !NONCE_PATTERN.test(nonce) || digest === undefined) {
    return reject("malformed signature");
  }
  return {
    ok: true,
    timestamp: Number(timestampText),
    timestampText,
    nonce,
    signature: Buffer.from(digest, "hex"),
  };
}

function canonicalString(request: SignableRequest, timestamp: string, nonce: string): string {
  const bodyDigest = createHash("sha256").update(request.body).digest("hex");
  return [SCHEME, request.method.toUpperCase(), request.pathWithQuery, timestamp, nonce, bodyDigest].join(
    "\n",
  );
}

function hmac(secret: string, text: string): Buffer {
  return createHmac("sha256", secret).update(text).digest();
}

/** timingSafeEqual throws on different lengths; a wrong length is simply a wrong signature. */
function sameBytes(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function reject(reason: VerifyFailure): { ok: false; reason: VerifyFailure } {
  return { ok: false, reason };
}

/** An empty key would make every signature forgeable: refuse it loudly (the message holds no secret). */
function assertSecret(secret: string): void {
  if (secret.length === 0) throw new TypeError("the cluster secret must not be empty");
}
