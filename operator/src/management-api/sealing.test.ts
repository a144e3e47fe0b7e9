import { describe, expect, it } from "vitest";
import { createSealer } from "./sealing.js";

describe("credential sealing", () => {
  it("round-trips and never stores the plain text", () => {
    const sealer = createSealer("cluster-secret");
    const sealed = sealer.seal('{"key":"minioadmin","secret":"s3cr3t"}');
    expect(sealed).not.toContain("s3cr3t");
    expect(Buffer.from(sealed, "base64").toString("latin1")).not.toContain("s3cr3t");
    expect(sealer.open(sealed)).toBe('{"key":"minioadmin","secret":"s3cr3t"}');
  });

  it("uses a fresh IV each time", () => {
    const sealer = createSealer("cluster-secret");
    expect(sealer.seal("same")).not.toBe(sealer.seal("same"));
  });

  it("refuses values sealed under another cluster secret or tampered with", () => {
    const sealed = createSealer("one").seal("credentials");
    expect(() => createSealer("two").open(sealed)).toThrow();
    const bytes = Buffer.from(sealed, "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => createSealer("one").open(bytes.toString("base64"))).toThrow();
  });
});
