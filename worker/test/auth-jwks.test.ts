import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuthLogger } from "../src/auth/credentials/context.js";
import { createAuthenticator, type Authenticator } from "../src/auth/credentials/index.js";
import {
  authPolicy,
  expectRefused,
  jwtPolicy,
  MemoryCredentialStore,
} from "../src/auth/credentials/test-fixtures.js";

/**
 * A JWT provider whose keys come from a JWKS URL, served by a real HTTP server on loopback: keys
 * are fetched on first use and cached; an unknown `kid` refetches them (at most once per jose's 30 s
 * cooldown, moved past with a faked clock); a kid that stays unknown is a 401.
 */
interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

const sign = (key: SigningKey, kid = key.kid): Promise<string> =>
  new SignJWT({ sub: "u-1", "x-hugr-role": "readonly" })
    .setProtectedHeader({ alg: "ES256", kid })
    .setIssuer("https://id.example.com")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(key.privateKey);

const bearer = (token: string): Headers => new Headers({ authorization: `Bearer ${token}` });

let server: Server;
let url: string;
/** What the JWKS endpoint serves now, and how often it was asked. */
let served: JWK[] = [];
let fetches = 0;
let k1: SigningKey;
let k2: SigningKey;
let stray: SigningKey;

beforeAll(async () => {
  [k1, k2, stray] = await Promise.all([signingKey("k1"), signingKey("k2"), signingKey("k-stray")]);
  server = createServer((request, response) => {
    fetches++;
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  vi.useRealTimers();
});

function authenticator(logger?: AuthLogger, jwksUrl = url): Authenticator {
  return createAuthenticator(
    authPolicy({
      jwt: [jwtPolicy("corp", { kind: "jwks", url: jwksUrl }, { issuer: "https://id.example.com" })],
    }),
    new MemoryCredentialStore(),
    logger ? { logger } : {},
  );
}

describe("a JWT provider with a JWKS URL", () => {
  it("fetches the keys on first use, caches them, and refetches on a rotated kid after the cooldown", async () => {
    served = [k1.jwk];
    fetches = 0;
    const auth = authenticator();
    expect(fetches).toBe(0);
    expect(await auth.authenticate(bearer(await sign(k1)))).toMatchObject({
      role: "readonly",
      provider: "corp",
    });
    expect(await auth.authenticate(bearer(await sign(k1)))).toMatchObject({ userId: "u-1" });
    expect(fetches).toBe(1);

    // The issuer rotates to k2. Within the cooldown an unknown kid does not refetch: a 401.
    served = [k1.jwk, k2.jwk];
    const rotated = await sign(k2);
    await expectRefused(auth.authenticate(bearer(rotated)), 401, /no key of the provider matches/, [rotated]);
    expect(fetches).toBe(1);

    // After the cooldown the unknown kid refetches the set and is accepted.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31_000);
    expect(await auth.authenticate(bearer(rotated))).toMatchObject({ role: "readonly" });
    expect(fetches).toBe(2);
    expect(await auth.authenticate(bearer(await sign(k1)))).toMatchObject({ role: "readonly" });
    expect(fetches).toBe(2);
  });

  it("refuses with 401 a kid that stays unknown after the refetch", async () => {
    served = [k1.jwk];
    fetches = 0;
    const auth = authenticator();
    expect(await auth.authenticate(bearer(await sign(k1)))).toMatchObject({ role: "readonly" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31_000);
    const token = await sign(stray);
    await expectRefused(auth.authenticate(bearer(token)), 401, /no key of the provider matches/, [token]);
    expect(fetches).toBe(2);
  });

  it("refuses with 401 a token claiming a known kid but signed by another key", async () => {
    served = [k1.jwk];
    const token = await sign(stray, "k1");
    await expectRefused(authenticator().authenticate(bearer(token)), 401, /signature is not valid/, [token]);
  });

  it("answers 401 and warns when the JWKS cannot be fetched, and recovers when it can", async () => {
    const warnings: object[] = [];
    const logger: AuthLogger = { debug: () => undefined, warn: (fields) => warnings.push(fields) };
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
    await new Promise((resolve) => closed.close(resolve));
    const token = await sign(k1);
    await expectRefused(
      authenticator(logger, deadUrl).authenticate(bearer(token)),
      401,
      /keys are unavailable/,
      [token],
    );
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).not.toContain(token.slice(0, 20));
  });
});
