import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ErrorEnvelope } from "./contract.js";
import { jsonError, verifySignature } from "./middleware.js";
import { SIGNATURE_HEADERS, createReplayCache, signRequest } from "./signing.js";

const SECRET = "middleware-test-secret-abcdef";
const ORIGIN = "http://node.test";

/** An app whose handler echoes the JSON it read after the middleware consumed the raw body. */
function createApp(options: { maxBodyBytes?: number } = {}): Hono {
  const app = new Hono();
  app.use("/api/*", verifySignature({ secret: SECRET, ...options }));
  app.post("/api/echo", async (c) =>
    c.json({ received: (await c.req.json()) as unknown, query: c.req.query("q") }),
  );
  app.get("/api/ping", (c) => c.json({ pong: true }));
  app.get("/api/missing", (c) => jsonError(c, 404, "NOT_FOUND", "no such thing", { name: "x" }));
  return app;
}

function signedInit(method: string, pathWithQuery: string, body?: string, secret = SECRET): RequestInit {
  const headers = signRequest(secret, { method, pathWithQuery, body: body ?? "" });
  return {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body }),
  };
}

async function envelopeOf(response: Response): Promise<ErrorEnvelope> {
  return (await response.json()) as ErrorEnvelope;
}

describe("verifySignature", () => {
  it("passes a signed POST and the handler still reads the JSON body", async () => {
    const body = JSON.stringify({ name: "worker-0", tags: ["a", "ü"] });
    const response = await createApp().request(
      `${ORIGIN}/api/echo?q=1`,
      signedInit("POST", "/api/echo?q=1", body),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: { name: "worker-0", tags: ["a", "ü"] }, query: "1" });
  });

  it("passes a signed GET without a body", async () => {
    const response = await createApp().request(`${ORIGIN}/api/ping`, signedInit("GET", "/api/ping"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ pong: true });
  });

  it("answers an unsigned request with 401 and the envelope, without running the handler", async () => {
    const response = await createApp().request(`${ORIGIN}/api/ping`);
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(await envelopeOf(response)).toEqual({
      error: { code: "UNAUTHORIZED", message: "request signature rejected: missing signature" },
    });
  });

  it("rejects a tampered body", async () => {
    const init = signedInit("POST", "/api/echo", '{"name":"worker-0"}');
    const response = await createApp().request(`${ORIGIN}/api/echo`, {
      ...init,
      body: '{"name":"worker-9"}',
    });
    expect(response.status).toBe(401);
    expect((await envelopeOf(response)).error.message).toBe("request signature rejected: bad signature");
  });

  it("rejects a request signed for another path or query", async () => {
    const app = createApp();
    const body = "{}";
    const otherPath = await app.request(`${ORIGIN}/api/echo`, signedInit("POST", "/api/other", body));
    const otherQuery = await app.request(`${ORIGIN}/api/echo?q=2`, signedInit("POST", "/api/echo?q=1", body));
    expect(otherPath.status).toBe(401);
    expect(otherQuery.status).toBe(401);
  });

  it("rejects a request signed with another secret, naming neither secret", async () => {
    const response = await createApp().request(
      `${ORIGIN}/api/ping`,
      signedInit("GET", "/api/ping", undefined, "x"),
    );
    const text = await response.text();
    expect(response.status).toBe(401);
    expect(text).toContain("bad signature");
    expect(text).not.toContain(SECRET);
  });

  it("rejects a replayed request, also across routes sharing one cache", async () => {
    const app = createApp();
    const init = signedInit("GET", "/api/ping");
    expect((await app.request(`${ORIGIN}/api/ping`, init)).status).toBe(200);
    const replay = await app.request(`${ORIGIN}/api/ping`, init);
    expect(replay.status).toBe(401);
    expect((await envelopeOf(replay)).error.message).toBe("request signature rejected: replayed request");
  });

  it("uses the replay cache it is given", async () => {
    const replayCache = createReplayCache();
    const app = new Hono();
    app.use(verifySignature({ secret: SECRET, replayCache }));
    app.get("/p", (c) => c.body(null, 204));
    expect((await app.request(`${ORIGIN}/p`, signedInit("GET", "/p"))).status).toBe(204);
    expect(replayCache.size).toBe(1);
  });

  it("rejects a stale request", async () => {
    const headers = signRequest(
      SECRET,
      { method: "GET", pathWithQuery: "/api/ping", body: "" },
      Date.now() - 60_000,
    );
    const response = await createApp().request(`${ORIGIN}/api/ping`, { headers });
    expect((await envelopeOf(response)).error.message).toBe("request signature rejected: stale timestamp");
  });

  it("rejects a malformed signature header", async () => {
    const init = signedInit("GET", "/api/ping");
    const headers = new Headers(init.headers);
    headers.set(SIGNATURE_HEADERS.signature, "sha256=abc");
    const response = await createApp().request(`${ORIGIN}/api/ping`, { headers });
    expect((await envelopeOf(response)).error.message).toBe(
      "request signature rejected: malformed signature",
    );
  });

  it("answers 413 when Content-Length is over the limit", async () => {
    const body = JSON.stringify({ blob: "x".repeat(200) });
    const init = signedInit("POST", "/api/echo", body);
    const response = await createApp({ maxBodyBytes: 100 }).request(`${ORIGIN}/api/echo`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), "content-length": String(body.length) },
    });
    expect(response.status).toBe(413);
    expect(await envelopeOf(response)).toEqual({
      error: {
        code: "PAYLOAD_TOO_LARGE",
        message: "request body exceeds 100 bytes",
        details: { maxBodyBytes: 100 },
      },
    });
  });

  it("answers 413 when a streamed body without Content-Length grows over the limit", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent > 1_000) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const request = new Request(`${ORIGIN}/api/echo`, {
      method: "POST",
      headers: signRequest(SECRET, { method: "POST", pathWithQuery: "/api/echo", body: "" }),
      body: stream,
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    expect(request.headers.has("content-length")).toBe(false);
    const response = await createApp({ maxBodyBytes: 1_000 }).request(request);
    expect(response.status).toBe(413);
    // The reader stopped soon after the limit instead of buffering all 64 KB.
    expect(sent).toBeLessThan(100);
  });

  it("accepts a body exactly at the limit", async () => {
    const body = JSON.stringify({ s: "y".repeat(90) });
    const app = createApp({ maxBodyBytes: body.length });
    const response = await app.request(`${ORIGIN}/api/echo`, signedInit("POST", "/api/echo", body));
    expect(response.status).toBe(200);
  });

  it("refuses an empty secret when created", () => {
    expect(() => verifySignature({ secret: "" })).toThrow(/must not be empty/);
  });
});

describe("jsonError", () => {
  it("writes the envelope with the status and details", async () => {
    const response = await createApp().request(`${ORIGIN}/api/missing`, signedInit("GET", "/api/missing"));
    expect(response.status).toBe(404);
    expect(await envelopeOf(response)).toEqual({
      error: { code: "NOT_FOUND", message: "no such thing", details: { name: "x" } },
    });
  });
});
