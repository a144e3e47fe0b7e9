import { createHmac, createPublicKey } from "node:crypto";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuthLogger } from "./context.js";
import { createAuthenticator } from "./index.js";
import { authPolicy, expectRefused, jwtPolicy, MemoryCredentialStore } from "./test-fixtures.js";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const now = (): number => NOW;
const seconds = (offsetMinutes: number): number => Math.floor(NOW / 1000) + offsetMinutes * 60;

interface KeyPair {
  alg: string;
  privateKey: CryptoKey;
  pem: string;
}

async function keyPair(alg: string, options: { crv?: string } = {}): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { ...options, extractable: true });
  return { alg, privateKey, pem: await exportSPKI(publicKey) };
}

/** A token signed by the pair, issued a minute ago, valid for an hour unless the claims say otherwise. */
function sign(pair: KeyPair, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iat: seconds(-1), exp: seconds(60), sub: "user-1", name: "Ann", ...claims })
    .setProtectedHeader({ alg: pair.alg, ...header })
    .sign(pair.privateKey);
}

const bearer = (token: string, extra: Record<string, string> = {}): Headers =>
  new Headers({ authorization: `Bearer ${token}`, ...extra });

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");

let rsa: KeyPair;
let ec: KeyPair;
let ed: KeyPair;
let stranger: KeyPair;
beforeAll(async () => {
  [rsa, ec, ed, stranger] = await Promise.all([
    keyPair("RS256"),
    keyPair("ES256"),
    keyPair("EdDSA", { crv: "Ed25519" }),
    keyPair("RS256"),
  ]);
});

describe("JWT providers with a PEM key", () => {
  it("accept RSA, EC P-256 and Ed25519 tokens, and a PKCS#1 RSA PEM", async () => {
    const pkcs1 = createPublicKey(rsa.pem).export({ type: "pkcs1", format: "pem" }).toString();
    const cases: [KeyPair, string][] = [
      [rsa, rsa.pem],
      [ec, ec.pem],
      [ed, ed.pem],
      [rsa, pkcs1],
    ];
    for (const [pair, pem] of cases) {
      const auth = createAuthenticator(
        authPolicy({ jwt: [jwtPolicy("corp", { kind: "pem", pem })] }),
        new MemoryCredentialStore(),
        { now },
      );
      const identity = await auth.authenticate(bearer(await sign(pair, { "x-hugr-role": "analyst" })));
      expect(identity).toEqual({
        role: "analyst",
        userId: "user-1",
        userName: "Ann",
        authType: "jwt",
        provider: "corp",
        claims: { "x-hugr-role": "analyst", sub: "user-1", name: "Ann", iat: seconds(-1), exp: seconds(60) },
      });
    }
  });

  it("accept RSA-PSS signatures with an RSA key", async () => {
    const pss = await keyPair("PS256");
    const auth = createAuthenticator(
      authPolicy({ jwt: [jwtPolicy("corp", { kind: "pem", pem: pss.pem })] }),
      new MemoryCredentialStore(),
      { now },
    );
    expect((await auth.authenticate(bearer(await sign(pss, { "x-hugr-role": "readonly" })))).role).toBe(
      "readonly",
    );
  });

  it("refuse a provider key they cannot use at creation", () => {
    expect(() =>
      createAuthenticator(
        authPolicy({
          jwt: [
            jwtPolicy("broken", {
              kind: "pem",
              pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            }),
          ],
        }),
        new MemoryCredentialStore(),
      ),
    ).toThrow(/jwt provider 'broken'/);
  });

  it("read the token from the provider's cookie when there is no Authorization header", async () => {
    const auth = createAuthenticator(
      authPolicy({ jwt: [jwtPolicy("corp", { kind: "pem", pem: rsa.pem }, { cookieName: "hugr_token" })] }),
      new MemoryCredentialStore(),
      { now },
    );
    const token = await sign(rsa, { "x-hugr-role": "readonly" });
    const identity = await auth.authenticate(
      new Headers({ cookie: `theme=dark; hugr_token=${token}; other=1` }),
    );
    expect(identity).toMatchObject({ role: "readonly", provider: "corp" });
    const other = createAuthenticator(
      authPolicy({ jwt: [jwtPolicy("corp", { kind: "pem", pem: rsa.pem })] }),
      new MemoryCredentialStore(),
      { now },
    );
    await expectRefused(
      other.authenticate(new Headers({ cookie: `hugr_token=${token}` })),
      401,
      /authentication required/,
    );
  });
});

describe("a token's role", () => {
  const auth = (overrides: Parameters<typeof jwtPolicy>[2] = {}) =>
    createAuthenticator(
      authPolicy({ jwt: [jwtPolicy("corp", { kind: "pem", pem: rsa.pem }, overrides)] }),
      new MemoryCredentialStore(),
      { now },
    );

  it("comes from the role claim, a string or an array whose first entry is the default", async () => {
    expect((await auth().authenticate(bearer(await sign(rsa, { "x-hugr-role": "readonly" })))).role).toBe(
      "readonly",
    );
    const token = await sign(rsa, { "x-hugr-role": ["analyst", "readonly"] });
    expect((await auth().authenticate(bearer(token))).role).toBe("analyst");
    expect((await auth().authenticate(bearer(token, { "x-hugr-role": "readonly" }))).role).toBe("readonly");
  });

  it("comes from the first scope with the prefix when there is no role claim", async () => {
    const withScopes = auth({ scopeRolePrefix: "hugr:" });
    const token = await sign(rsa, { scopes: ["openid", "hugr:analyst", "hugr:readonly"] });
    expect((await withScopes.authenticate(bearer(token))).role).toBe("analyst");
    expect((await withScopes.authenticate(bearer(token, { "x-hugr-role": "readonly" }))).role).toBe(
      "readonly",
    );
    const scope = await sign(rsa, { scope: "openid hugr:readonly" });
    expect((await withScopes.authenticate(bearer(scope))).role).toBe("readonly");
  });

  it("can be chosen by the role header only among the roles the token grants (hugr: any role)", async () => {
    const token = await sign(rsa, { "x-hugr-role": ["analyst", "readonly"] });
    await expectRefused(
      auth().authenticate(bearer(token, { "x-hugr-role": "admin" })),
      403,
      /^role "admin" is not granted by this credential$/,
      [token],
    );
  });

  it("is 'public' for a token that grants none, and the header cannot pick another", async () => {
    const token = await sign(rsa);
    expect((await auth().authenticate(bearer(token))).role).toBe("public");
    await expectRefused(auth().authenticate(bearer(token, { "x-hugr-role": "admin" })), 403, /not granted/);
  });

  it("maps user id and name through the provider's claim names", async () => {
    const mapped = auth({ claims: { role: "groups", userId: "uid", userName: "email" } });
    const token = await sign(rsa, { groups: ["readonly"], uid: 17, email: "a@example.com" });
    expect(await mapped.authenticate(bearer(token))).toMatchObject({
      role: "readonly",
      userId: "17",
      userName: "a@example.com",
    });
  });
});

describe("several JWT providers", () => {
  it("pass a token of another issuer or key to the next provider", async () => {
    const auth = createAuthenticator(
      authPolicy({
        jwt: [
          jwtPolicy("a", { kind: "pem", pem: rsa.pem }, { issuer: "https://a.example" }),
          jwtPolicy("b", { kind: "pem", pem: stranger.pem }),
          jwtPolicy("c", { kind: "pem", pem: ec.pem }, { issuer: "https://c.example" }),
        ],
      }),
      new MemoryCredentialStore(),
      { now },
    );
    const fromA = await sign(rsa, { iss: "https://a.example", "x-hugr-role": "readonly" });
    const fromB = await sign(stranger, { iss: "https://a.example", "x-hugr-role": "readonly" });
    const fromC = await sign(ec, { iss: "https://c.example", "x-hugr-role": "readonly" });
    expect((await auth.authenticate(bearer(fromA))).provider).toBe("a");
    expect((await auth.authenticate(bearer(fromB))).provider).toBe("b");
    expect((await auth.authenticate(bearer(fromC))).provider).toBe("c");
  });

  it("come before the secret key, which comes before OIDC", async () => {
    const secretKey = "s3cret-admin-key-value";
    const auth = createAuthenticator(
      authPolicy({ secretKey, jwt: [jwtPolicy("a", { kind: "pem", pem: rsa.pem })] }),
      new MemoryCredentialStore(),
      { now },
    );
    const token = await sign(rsa, { "x-hugr-role": "readonly" });
    expect((await auth.authenticate(bearer(token, { "x-hugr-secret-key": secretKey }))).provider).toBe("a");
    // A token the JWT providers pass on still lets a valid secret key through (it is admin anyway).
    const foreign = await sign(stranger);
    expect((await auth.authenticate(bearer(foreign, { "x-hugr-secret-key": secretKey }))).provider).toBe(
      "secret-key",
    );
  });

  it("refuse with 401 a token no provider accepts, even with anonymous allowed", async () => {
    const logged: object[] = [];
    const logger: AuthLogger = {
      debug: (fields) => logged.push(fields),
      warn: (fields) => logged.push(fields),
    };
    const auth = createAuthenticator(
      authPolicy({
        anonymous: { allowed: true, role: "public" },
        jwt: [
          jwtPolicy("a", { kind: "pem", pem: rsa.pem }, { issuer: "https://a.example" }),
          jwtPolicy("c", { kind: "pem", pem: ec.pem }),
        ],
      }),
      new MemoryCredentialStore(),
      { now, logger },
    );
    const token = await sign(stranger, { iss: "https://a.example" });
    await expectRefused(auth.authenticate(bearer(token)), 401, /signature is not valid/, [token]);
    expect(JSON.stringify(logged)).not.toContain(token.split(".")[2]!.slice(0, 12));
    expect(logged).toContainEqual({ status: 401, reason: "the token's signature is not valid" });
  });
});

describe("bad tokens", () => {
  const ISSUER = "https://id.example.com";
  const AUDIENCE = "hugr";
  let auth: ReturnType<typeof createAuthenticator>;
  beforeAll(() => {
    auth = createAuthenticator(
      authPolicy({
        anonymous: { allowed: true, role: "public" },
        jwt: [jwtPolicy("corp", { kind: "pem", pem: rsa.pem }, { issuer: ISSUER, audience: AUDIENCE })],
      }),
      new MemoryCredentialStore(),
      { now },
    );
  });
  const good = (claims: JWTPayload = {}): Promise<string> =>
    sign(rsa, { iss: ISSUER, aud: AUDIENCE, "x-hugr-role": "readonly", ...claims });

  it("accepts the good token the cases below break", async () => {
    expect(await auth.authenticate(bearer(await good()))).toMatchObject({
      role: "readonly",
      provider: "corp",
    });
  });

  const cases: { name: string; token: () => Promise<string>; message: RegExp }[] = [
    {
      name: "an opaque token",
      token: () => Promise.resolve("opaque-session-token-1234567"),
      message: /not a valid JWT/,
    },
    {
      name: "two segments",
      token: async () => (await good()).split(".").slice(0, 2).join("."),
      message: /not a valid JWT/,
    },
    {
      name: "broken JSON",
      token: async () => `${b64({ alg: "RS256" })}.bm90LWpzb24.c2ln`,
      message: /not a valid JWT/,
    },
    { name: "expired minutes ago", token: () => good({ exp: seconds(-5) }), message: /^token expired$/ },
    { name: "not yet valid", token: () => good({ nbf: seconds(5) }), message: /not yet valid/ },
    {
      name: "a wrong issuer",
      token: () => good({ iss: "https://evil.example" }),
      message: /issuer is not accepted/,
    },
    {
      name: "a wrong audience",
      token: () => good({ aud: "someone-else" }),
      message: /audience is not accepted/,
    },
    {
      name: "alg none",
      token: () =>
        Promise.resolve(
          `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: ISSUER, aud: AUDIENCE, "x-hugr-role": "admin" })}.`,
        ),
      message: /algorithm is not accepted/,
    },
    {
      name: "HS256 signed with the RSA public key's PEM (algorithm confusion)",
      token: () => {
        const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: seconds(60) })}`;
        return Promise.resolve(`${input}.${createHmac("sha256", rsa.pem).update(input).digest("base64url")}`);
      },
      message: /algorithm is not accepted/,
    },
    {
      name: "another key's signature",
      token: () => sign(stranger, { iss: ISSUER, aud: AUDIENCE }),
      message: /signature is not valid/,
    },
    {
      name: "an EC signature for an RSA provider",
      token: () => sign(ec, { iss: ISSUER, aud: AUDIENCE }),
      message: /algorithm does not match/,
    },
    {
      name: "a tampered payload",
      token: async () => {
        const [header, , signature] = (await good()).split(".");
        return `${header}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: seconds(60), "x-hugr-role": "admin" })}.${signature}`;
      },
      message: /signature is not valid/,
    },
  ];

  for (const { name, token, message } of cases) {
    it(`refuses ${name} with 401, never as anonymous, without echoing the token`, async () => {
      const value = await token();
      await expectRefused(auth.authenticate(bearer(value)), 401, message, [value]);
    });
  }

  it("refuses an oversized Authorization header with 401 without parsing it", async () => {
    const huge = `Bearer ${"a".repeat(20 * 1024)}`;
    await expectRefused(
      auth.authenticate(new Headers({ authorization: huge })),
      401,
      /Authorization header is too large/,
    );
  });
});
