import { describe, expect, it } from "vitest";
import {
  SIGNATURE_HEADERS,
  createReplayCache,
  signRequest,
  verifyRequest,
  type ReplayCache,
  type VerifyResult,
} from "./signing.js";

const SECRET = "cluster-secret-for-tests-0123456789";
const NOW = 1_760_000_000_000;
const encoder = new TextEncoder();

interface Wire {
  method: string;
  pathWithQuery: string;
  body: Uint8Array;
  headers: Headers;
}

/** A request as a client would send it: signed over exactly these values. */
function signed(
  overrides: Partial<{ method: string; pathWithQuery: string; body: string; at: number }> = {},
): Wire {
  const method = overrides.method ?? "POST";
  const pathWithQuery = overrides.pathWithQuery ?? "/v1/nodes?dry=1";
  const body = encoder.encode(overrides.body ?? '{"name":"worker-0"}');
  const headers = new Headers(signRequest(SECRET, { method, pathWithQuery, body }, overrides.at ?? NOW));
  return { method, pathWithQuery, body, headers };
}

function verify(
  wire: Wire,
  options: { secret?: string; cache?: ReplayCache; now?: number } = {},
): VerifyResult {
  return verifyRequest(
    {
      secret: options.secret ?? SECRET,
      replayCache: options.cache ?? createReplayCache(),
      now: () => options.now ?? NOW,
    },
    wire,
  );
}

function withHeader(wire: Wire, name: string, value: string): Wire {
  const headers = new Headers(wire.headers);
  headers.set(name, value);
  return { ...wire, headers };
}

describe("signRequest", () => {
  it("returns the three headers in their documented formats", () => {
    const headers = signRequest(SECRET, { method: "get", pathWithQuery: "/x", body: "" }, NOW);
    expect(Object.keys(headers).sort()).toEqual(Object.values(SIGNATURE_HEADERS).sort());
    expect(headers[SIGNATURE_HEADERS.timestamp]).toBe(String(NOW));
    expect(headers[SIGNATURE_HEADERS.nonce]).toMatch(/^[0-9a-f]{32}$/);
    expect(headers[SIGNATURE_HEADERS.signature]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(JSON.stringify(headers)).not.toContain(SECRET);
  });

  it("uses a fresh nonce for every request", () => {
    const a = signRequest(SECRET, { method: "GET", pathWithQuery: "/x", body: "" }, NOW);
    const b = signRequest(SECRET, { method: "GET", pathWithQuery: "/x", body: "" }, NOW);
    expect(a[SIGNATURE_HEADERS.nonce]).not.toBe(b[SIGNATURE_HEADERS.nonce]);
  });

  it("signs a string body as its UTF-8 bytes", () => {
    const text = '{"name":"wörker"}';
    const headers = new Headers(signRequest(SECRET, { method: "PUT", pathWithQuery: "/s", body: text }, NOW));
    const result = verify({ method: "PUT", pathWithQuery: "/s", body: encoder.encode(text), headers });
    expect(result).toEqual({ ok: true });
  });

  it("refuses an empty secret", () => {
    expect(() => signRequest("", { method: "GET", pathWithQuery: "/", body: "" })).toThrow(
      /must not be empty/,
    );
  });
});

describe("verifyRequest", () => {
  it("accepts a valid request", () => {
    expect(verify(signed())).toEqual({ ok: true });
  });

  it("accepts a request without a body and compares the method case-insensitively", () => {
    const headers = new Headers(signRequest(SECRET, { method: "get", pathWithQuery: "/h", body: "" }, NOW));
    expect(verify({ method: "GET", pathWithQuery: "/h", body: new Uint8Array(0), headers })).toEqual({
      ok: true,
    });
  });

  it.each<[string, (wire: Wire) => Wire]>([
    ["a tampered body", (w) => ({ ...w, body: encoder.encode('{"name":"worker-1"}') })],
    ["a tampered path", (w) => ({ ...w, pathWithQuery: "/v1/storages?dry=1" })],
    ["a tampered query", (w) => ({ ...w, pathWithQuery: "/v1/nodes?dry=0" })],
    ["a dropped query", (w) => ({ ...w, pathWithQuery: "/v1/nodes" })],
    ["a tampered method", (w) => ({ ...w, method: "PUT" })],
    ["a tampered nonce", (w) => withHeader(w, SIGNATURE_HEADERS.nonce, "0".repeat(32))],
    ["a tampered timestamp", (w) => withHeader(w, SIGNATURE_HEADERS.timestamp, String(NOW + 1))],
    ["a signature of another length", (w) => withHeader(w, SIGNATURE_HEADERS.signature, "v1=abcd")],
  ])("rejects %s as a bad signature", (_label, tamper) => {
    expect(verify(tamper(signed()))).toEqual({ ok: false, reason: "bad signature" });
  });

  it("rejects a request signed with another secret", () => {
    expect(verify(signed(), { secret: "another-secret" })).toEqual({ ok: false, reason: "bad signature" });
  });

  it("rejects timestamps beyond the skew in the past and in the future, and accepts them at the edge", () => {
    const stale = { ok: false, reason: "stale timestamp" };
    expect(verify(signed({ at: NOW - 30_001 }))).toEqual(stale);
    expect(verify(signed({ at: NOW + 30_001 }))).toEqual(stale);
    expect(verify(signed({ at: NOW - 30_000 }))).toEqual({ ok: true });
    expect(verify(signed({ at: NOW + 30_000 }))).toEqual({ ok: true });
  });

  it("honours maxSkewMs", () => {
    const wire = signed({ at: NOW - 5_000 });
    const result = verifyRequest(
      { secret: SECRET, replayCache: createReplayCache(), maxSkewMs: 1_000, now: () => NOW },
      wire,
    );
    expect(result).toEqual({ ok: false, reason: "stale timestamp" });
  });

  it("rejects an identical request sent twice as a replay", () => {
    const cache = createReplayCache();
    const wire = signed();
    expect(verify(wire, { cache })).toEqual({ ok: true });
    expect(verify(wire, { cache, now: NOW + 10_000 })).toEqual({ ok: false, reason: "replayed request" });
  });

  it("rejects a replay after the skew window as stale: the nonce is not needed any longer", () => {
    const cache = createReplayCache();
    const wire = signed();
    expect(verify(wire, { cache })).toEqual({ ok: true });
    expect(verify(wire, { cache, now: NOW + 30_001 })).toEqual({ ok: false, reason: "stale timestamp" });
  });

  it.each(Object.values(SIGNATURE_HEADERS))("rejects a request without %s as missing", (header) => {
    const wire = signed();
    wire.headers.delete(header);
    expect(verify(wire)).toEqual({ ok: false, reason: "missing signature" });
  });

  it("rejects an unsigned request as missing", () => {
    const wire = { ...signed(), headers: new Headers({ "content-type": "application/json" }) };
    expect(verify(wire)).toEqual({ ok: false, reason: "missing signature" });
  });

  it.each<[string, string, string]>([
    ["a non-numeric timestamp", SIGNATURE_HEADERS.timestamp, "yesterday"],
    ["a negative timestamp", SIGNATURE_HEADERS.timestamp, "-1"],
    ["a fractional timestamp", SIGNATURE_HEADERS.timestamp, "1.5"],
    ["an empty timestamp", SIGNATURE_HEADERS.timestamp, ""],
    ["a signature without v1=", SIGNATURE_HEADERS.signature, "ab".repeat(32)],
    ["a signature of another scheme", SIGNATURE_HEADERS.signature, `v2=${"ab".repeat(32)}`],
    ["an odd-length hex signature", SIGNATURE_HEADERS.signature, `v1=${"a".repeat(63)}`],
    ["a non-hex signature", SIGNATURE_HEADERS.signature, `v1=${"zz".repeat(32)}`],
    ["an empty signature", SIGNATURE_HEADERS.signature, "v1="],
    ["a short nonce", SIGNATURE_HEADERS.nonce, "abcd"],
    ["a non-hex nonce", SIGNATURE_HEADERS.nonce, "g".repeat(32)],
  ])("rejects %s as malformed", (_label, header, value) => {
    expect(verify(withHeader(signed(), header, value))).toEqual({ ok: false, reason: "malformed signature" });
  });

  it("does not let forged requests into the replay cache", () => {
    const cache = createReplayCache({ maxEntries: 10 });
    const genuine = signed();
    for (let i = 0; i < 100; i += 1) {
      const forged = withHeader(signed(), SIGNATURE_HEADERS.signature, `v1=${"0".repeat(64)}`);
      expect(verify(forged, { cache })).toEqual({ ok: false, reason: "bad signature" });
    }
    // A forged copy carrying the genuine nonce must not burn it either.
    const stolenNonce = withHeader(genuine, SIGNATURE_HEADERS.signature, `v1=${"0".repeat(64)}`);
    expect(verify(stolenNonce, { cache })).toEqual({ ok: false, reason: "bad signature" });
    expect(cache.size).toBe(0);
    expect(verify(genuine, { cache })).toEqual({ ok: true });
    expect(cache.size).toBe(1);
  });

  it("does not let stale requests into the replay cache", () => {
    const cache = createReplayCache();
    expect(verify(signed({ at: NOW - 60_000 }), { cache })).toEqual({ ok: false, reason: "stale timestamp" });
    expect(cache.size).toBe(0);
  });
});

describe("createReplayCache", () => {
  it("rejects a nonce seen before until it expires, then accepts it again", () => {
    const cache = createReplayCache();
    expect(cache.remember("a", 100, 0)).toBe(true);
    expect(cache.remember("a", 100, 99)).toBe(false);
    expect(cache.remember("a", 200, 100)).toBe(true);
    expect(cache.remember("a", 200, 150)).toBe(false);
  });

  it("never holds more than maxEntries and evicts the oldest live nonces first", () => {
    const cache = createReplayCache({ maxEntries: 3 });
    for (const nonce of ["a", "b", "c", "d", "e"]) expect(cache.remember(nonce, 1_000, 0)).toBe(true);
    expect(cache.size).toBe(3);
    // d and e are the newest and still held; a was evicted to make room and is accepted again.
    expect(cache.remember("e", 1_000, 1)).toBe(false);
    expect(cache.remember("d", 1_000, 1)).toBe(false);
    expect(cache.remember("a", 1_000, 1)).toBe(true);
    expect(cache.size).toBe(3);
  });

  it("evicts expired nonces before live ones", () => {
    const cache = createReplayCache({ maxEntries: 3 });
    cache.remember("old-live", 1_000, 0);
    cache.remember("expiring", 10, 0);
    cache.remember("live", 1_000, 0);
    expect(cache.remember("new", 1_000, 50)).toBe(true);
    expect(cache.size).toBe(3);
    // The expired entry made room: the oldest live nonce is still remembered.
    expect(cache.remember("old-live", 1_000, 51)).toBe(false);
    expect(cache.remember("live", 1_000, 51)).toBe(false);
  });

  it("stays bounded under a flood of distinct nonces", () => {
    const maxEntries = 1_000;
    const cache = createReplayCache({ maxEntries });
    let accepted = 0;
    let largest = 0;
    for (let i = 0; i < 50_000; i += 1) {
      if (cache.remember(`n${i}`, 1_000_000 + i, i)) accepted += 1;
      largest = Math.max(largest, cache.size);
    }
    expect(accepted).toBe(50_000);
    expect(largest).toBe(maxEntries);
    expect(cache.size).toBe(maxEntries);
    expect(cache.remember("n49999", 2_000_000, 50_000)).toBe(false);
    expect(cache.remember("n0", 2_000_000, 50_000)).toBe(true);
  });

  it("defaults to 100,000 entries", () => {
    const cache = createReplayCache();
    for (let i = 0; i < 100_010; i += 1) cache.remember(`n${i}`, 1_000, 0);
    expect(cache.size).toBe(100_000);
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => createReplayCache({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => createReplayCache({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
