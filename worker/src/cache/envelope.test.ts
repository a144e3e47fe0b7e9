import { describe, expect, it } from "vitest";
import { decodeEnvelope, encodeEnvelope } from "./envelope.js";
import { matchPrefix, memcachedKey, namespace } from "./keys.js";
import { parseInvalidation } from "./l2.js";

describe("L2 envelope", () => {
  it.each([
    { value: '{"data":{"x":1}}', tags: [] },
    { value: "ünïcode", tags: ["orders", "customers"] },
    { value: Buffer.from([0, 1, 2, 255]), tags: ["t"], expiresAt: 1_700_000_000_123, versions: ["a", "b"] },
    { value: "", tags: [] },
  ])("round-trips %o", (envelope) => {
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it("keeps a Buffer a Buffer and a string a string", () => {
    expect(decodeEnvelope(encodeEnvelope({ value: Buffer.from("x"), tags: [] }))?.value).toBeInstanceOf(
      Buffer,
    );
    expect(typeof decodeEnvelope(encodeEnvelope({ value: "x", tags: [] }))?.value).toBe("string");
  });

  it.each([
    ["a foreign value", Buffer.from("hello world")],
    ["a truncated header", encodeEnvelope({ value: "x", tags: ["a-long-tag"] }).subarray(0, 8)],
    ["nothing", Buffer.alloc(0)],
  ])("reads %s as no envelope", (_what, bytes) => {
    expect(decodeEnvelope(bytes)).toBeUndefined();
  });
});

describe("cache keys", () => {
  it("puts everything of a cluster under hugr:<cluster>:", () => {
    const ns = namespace("prod");
    expect([ns.value("k"), ns.tag("t"), ns.all(), ns.channel()]).toEqual([
      "hugr:prod:v:k",
      "hugr:prod:t:t",
      "hugr:prod:all",
      "hugr:prod:invalidations",
    ]);
  });

  it("escapes glob characters of the prefix in a SCAN pattern", () => {
    expect(matchPrefix("hugr:a*b?[c]\\:")).toBe("hugr:a\\*b\\?\\[c\\]\\\\:*");
  });

  it("hashes a key Memcached would refuse (too long, whitespace, control characters)", () => {
    expect(memcachedKey("hugr:p:v:short", "hugr:p:")).toBe("hugr:p:v:short");
    for (const key of ["hugr:p:v:" + "x".repeat(300), "hugr:p:v:with space", "hugr:p:v:tab\there"]) {
      const safe = memcachedKey(key, "hugr:p:");
      expect(safe).toMatch(/^hugr:p:h:[\w-]{43}$/);
      expect(memcachedKey(key, "hugr:p:")).toBe(safe);
    }
  });
});

describe("invalidation messages", () => {
  it("accepts ours and nothing else", () => {
    expect(parseInvalidation('{"origin":"n1","scope":"all"}')).toEqual({ origin: "n1", scope: "all" });
    expect(parseInvalidation('{"origin":"n1","scope":"tags","tags":["a"]}')).toEqual({
      origin: "n1",
      scope: "tags",
      tags: ["a"],
    });
    for (const text of ["", "null", "{}", '{"origin":"n1","scope":"tags"}', '{"origin":1,"scope":"all"}']) {
      expect(parseInvalidation(text)).toBeUndefined();
    }
  });
});
