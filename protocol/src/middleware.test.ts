import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managementRoutes, type ErrorEnvelope } from "./contract.js";
import { jsonError, serveRoute, verifySignature } from "./middleware.js";
import { SIGNATURE_HEADERS, createReplayCache, signRequest } from "./signing.js";
import { BadRequest } from "./validate.js";

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

  it("answers 413 when a streamed body without Content-Length grows over the limit, once it ended", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64));
    let sent = 0;
    let ended = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent <= 1_000) return controller.enqueue(chunk);
        ended = true;
        controller.close();
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
    // Read to its end (and dropped past the limit): the client was not cut off while sending.
    expect(ended).toBe(true);
    expect(response.headers.get("connection")).toBeNull();
  });

  it("answers 413 at once and closes the connection when Content-Length is beyond what it would drop", async () => {
    const init = signedInit("POST", "/api/echo", "{}");
    const response = await createApp().request(`${ORIGIN}/api/echo`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), "content-length": String(65 * 1024 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    expect((await envelopeOf(response)).error.code).toBe("PAYLOAD_TOO_LARGE");
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

describe("serveRoute", () => {
  /** The management API's heartbeat and registerStorage routes, answering what they were given. */
  function createRouteApp(): Hono {
    const app = new Hono();
    app.onError((error, c) =>
      error instanceof BadRequest ? jsonError(c, 400, "BAD_REQUEST", error.message) : c.text("bug", 500),
    );
    serveRoute(app, managementRoutes.heartbeat, (c, request) => c.json(request));
    serveRoute(app, managementRoutes.registerStorage, (c, request) => c.json(request));
    return app;
  }
  const beat = { url: "http://w1:15000", version: "1", ready: true, error: "", configVersion: "c1" };
  const post = (path: string, body: string): Promise<Response> =>
    Promise.resolve(createRouteApp().request(path, { method: "POST", body }));

  it("hands the handler the checked path parameters and body", async () => {
    const response = await post("/v1/nodes/worker-1/heartbeat", JSON.stringify({ ...beat, extra: 1 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ params: { node: "worker-1" }, body: beat });
  });

  it.each([
    ["a bad path parameter", "/v1/nodes/Worker_1/heartbeat", JSON.stringify(beat), /the node name must be/],
    ["a body that is not JSON", "/v1/nodes/worker-1/heartbeat", "{not json", /body is not valid JSON/],
    ["an empty body", "/v1/nodes/worker-1/heartbeat", "", /body is not valid JSON/],
    ["a body missing a field", "/v1/nodes/worker-1/heartbeat", JSON.stringify({ url: beat.url }), /version/],
  ])("refuses %s with 400 naming it", async (_what, path, body, message) => {
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect((await envelopeOf(response)).error.message).toMatch(message);
  });

  it("checks a body against the path's parameters", async () => {
    const response = await createRouteApp().request("/v1/storages/a", {
      method: "PUT",
      body: JSON.stringify({ name: "b" }),
    });
    expect(response.status).toBe(400);
  });
});

describe("an oversized body over real HTTP", () => {
  const MAX = 64 * 1024;
  let server: ReturnType<typeof serve>;
  let port: number;

  beforeAll(async () => {
    server = serve({ fetch: createApp({ maxBodyBytes: MAX }).fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /**
   * POSTs `size` bytes with node:http, which (unlike fetch) reports a connection the server cut while
   * the body was still being sent. Resolves with the answer and whether the whole body had been
   * handed to the kernel by the time the answer came.
   */
  function postLarge(
    size: number,
    chunked: boolean,
  ): Promise<{ status: number; body: string; sentAll: boolean }> {
    const body = Buffer.alloc(size, "x");
    const headers: Record<string, string> = signRequest(SECRET, {
      method: "POST",
      pathWithQuery: "/api/echo",
      body,
    });
    if (!chunked) headers["content-length"] = String(size);
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: "127.0.0.1", port, path: "/api/echo", method: "POST", headers });
      request.on("error", reject);
      request.on("response", (response) => {
        const sentAll = request.writableFinished;
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text, sentAll }));
        response.on("error", reject);
      });
      // In 64 KiB writes, as a client streaming a large document does.
      for (let offset = 0; offset < size; offset += 64 * 1024)
        request.write(body.subarray(offset, offset + 64 * 1024));
      request.end();
    });
  }

  // 24 MiB: more than the loopback's socket buffers hold, so a server that answered before reading
  // the body would answer while the client is still sending it.
  it.each([
    ["with Content-Length", false],
    ["chunked", true],
  ])("is read to its end, then answered 413 with the envelope (%s)", async (_what, chunked) => {
    const answer = await postLarge(24 * 1024 * 1024, chunked);
    expect(answer.status).toBe(413);
    expect(answer.sentAll).toBe(true);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: "PAYLOAD_TOO_LARGE",
        message: `request body exceeds ${MAX} bytes`,
        details: { maxBodyBytes: MAX },
      },
    });
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
