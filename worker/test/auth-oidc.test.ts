import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_CLAIMS, type OidcPolicy } from "@hugr/common";
import { exportJWK, generateKeyPair } from "jose";
import { Provider } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthLogger } from "../src/auth/credentials/context.js";
import { createAuthenticator } from "../src/auth/credentials/index.js";
import { authPolicy, expectRefused, MemoryCredentialStore } from "../src/auth/credentials/test-fixtures.js";

/**
 * OIDC against a real authorization server (oidc-provider) on loopback: hugr discovers it from the
 * issuer, and verifies the JWT access tokens it issues (client_credentials with a resource
 * indicator, RFC 9068). The resource `urn:hugr` yields tokens whose audience is hugr's client id;
 * `urn:other` yields tokens for another audience, which hugr must refuse.
 */
const CLIENT_ID = "hugr";
const CLIENT_SECRET = "hugr-client-secret-for-tests-only";

let server: Server;
let issuer: string;
let discoveries = 0;

beforeAll(async () => {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  server = createServer((req, res) => {
    if (req.url === "/.well-known/openid-configuration") discoveries++;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "sig-1", alg: "RS256", use: "sig" }] },
    scopes: ["hugr:readonly", "hugr:analyst"],
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => "urn:hugr",
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: "hugr:readonly hugr:analyst",
          audience: resource === "urn:hugr" ? CLIENT_ID : "another-api",
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    extraTokenClaims: () => ({ "x-hugr-role": ["analyst"], name: "Hugr Service" }),
  });
  const callback = provider.callback();
  handle = (req, res) => void callback(req, res);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A real access token from the provider's token endpoint. */
async function accessToken(resource: string, scope = "hugr:readonly"): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
  });
  const body = (await response.json()) as {
    access_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!body.access_token) throw new Error(`no token: ${body.error ?? ""} ${body.error_description ?? ""}`);
  return body.access_token;
}

function oidcPolicy(overrides: Partial<OidcPolicy> = {}): OidcPolicy {
  return {
    issuer,
    clientId: CLIENT_ID,
    roleHeader: "x-hugr-role",
    scopeRolePrefix: "hugr:",
    claims: DEFAULT_CLAIMS,
    timeoutMs: 5_000,
    tlsInsecure: false,
    ...overrides,
  };
}

const bearer = (token: string, extra: Record<string, string> = {}): Headers =>
  new Headers({ authorization: `Bearer ${token}`, ...extra });

describe("OIDC with a real provider", () => {
  it("discovers the issuer once and accepts its access token, with the role claim mapped", async () => {
    discoveries = 0;
    const auth = createAuthenticator(authPolicy({ oidc: oidcPolicy() }), new MemoryCredentialStore());
    const token = await accessToken("urn:hugr");
    const identity = await auth.authenticate(bearer(token));
    expect(identity).toMatchObject({
      role: "analyst",
      userId: CLIENT_ID,
      userName: "Hugr Service",
      authType: "oidc",
      provider: "oidc",
    });
    expect(identity.claims).toMatchObject({ iss: issuer, aud: CLIENT_ID, client_id: CLIENT_ID });
    // The role header chooses among the token's roles: its role claim and its `hugr:` scopes.
    expect((await auth.authenticate(bearer(token, { "x-hugr-role": "readonly" }))).role).toBe("readonly");
    await expectRefused(auth.authenticate(bearer(token, { "x-hugr-role": "admin" })), 403, /not granted/);
    expect(discoveries).toBe(1);
  });

  it("refuses a token issued for another audience", async () => {
    const auth = createAuthenticator(authPolicy({ oidc: oidcPolicy() }), new MemoryCredentialStore());
    const token = await accessToken("urn:other");
    await expectRefused(auth.authenticate(bearer(token)), 401, /audience is not accepted/, [token]);
  });

  it("refuses a token when hugr's client id is another one", async () => {
    const auth = createAuthenticator(
      authPolicy({
        oidc: oidcPolicy({ clientId: "someone-else" }),
        anonymous: { allowed: true, role: "public" },
      }),
      new MemoryCredentialStore(),
    );
    const token = await accessToken("urn:hugr");
    await expectRefused(auth.authenticate(bearer(token)), 401, /audience is not accepted/, [token]);
  });

  it("answers 401 and warns while discovery fails, and discovers again on the next request", async () => {
    const warnings: object[] = [];
    const logger: AuthLogger = { debug: () => undefined, warn: (fields) => warnings.push(fields) };
    let failing = true;
    const flaky: typeof fetch = (input, init) =>
      failing && (input instanceof Request ? input.url : input.toString()).endsWith("/openid-configuration")
        ? Promise.reject(new TypeError("fetch failed"))
        : fetch(input, init);
    const auth = createAuthenticator(authPolicy({ oidc: oidcPolicy() }), new MemoryCredentialStore(), {
      logger,
      fetch: flaky,
    });
    const token = await accessToken("urn:hugr");
    await expectRefused(auth.authenticate(bearer(token)), 401, /keys are unavailable/, [token]);
    expect(warnings).toHaveLength(1);
    failing = false;
    expect((await auth.authenticate(bearer(token))).authType).toBe("oidc");
  });

  it("passes a token of another issuer on, and refuses it when nobody accepts it", async () => {
    const auth = createAuthenticator(
      authPolicy({ oidc: oidcPolicy({ issuer: "http://127.0.0.1:1" }) }),
      new MemoryCredentialStore(),
    );
    const token = await accessToken("urn:hugr");
    await expectRefused(auth.authenticate(bearer(token)), 401, /issuer is not accepted/, [token]);
  });
});
