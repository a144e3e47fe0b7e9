import type { AuthSettings } from "@hugr/protocol";
import { describe, expect, it } from "vitest";
import { configError, expectConfigError } from "../env/test-fixtures.js";
import { buildAuthPolicy } from "./build.js";
import type { AuthPolicy } from "./policy.js";
import { EC_PEM, ED25519_PEM, RSA_PEM, RSA_PKCS1_PEM, RSA_PRIVATE_PEM } from "./test-fixtures.js";

/** Settings with only an auth file (ALLOWED_ANONYMOUS's default, nothing else set). */
function withFile(
  contents: string,
  format: "yaml" | "json" = "yaml",
  env: Partial<AuthSettings> = {},
): AuthSettings {
  return {
    allowedAnonymous: true,
    ...env,
    authConfig: { name: `auth.${format}`, format, contents },
  };
}

const indent = (text: string, spaces: number): string =>
  text
    .trim()
    .split("\n")
    .map((line) => `${" ".repeat(spaces)}${line}`)
    .join("\n");

/** The reference page's example as hugr reads it: kebab-case YAML, snake_case inside oidc. */
const KEBAB_YAML = `
secret-key: s3cret
anonymous: { allowed: true, role: guest }
managed-api-keys: true
api-keys:
  reporting:
    key: k-123
    header: x-reporting-key
    default-role: readonly
    allowed-roles: [public, viewer]
    headers: { role: x-hugr-role, user-id: x-hugr-user-id, user-name: x-hugr-user-name }
jwt:
  corp:
    issuer: https://id.example.com
    public-key: |
${indent(RSA_PEM, 6)}
    cookie-name: hugr_token
    scope-role-prefix: "hugr:"
    role-header: x-hugr-role
    claims: { role: x-hugr-role, user-id: sub, user-name: name }
oidc:
  issuer: https://accounts.example.com
  client_id: hugr
  cookie_name: hugr_session
  scope_role_prefix: "app:"
  timeout: 5s
  tls_insecure: true
  claims: { role: roles, user-id: uid, user-name: preferred_username }
`;

/** The same in JSON, as hugr reads it: snake_case, and the public key as base64 (Go's []byte). */
const SNAKE_JSON = JSON.stringify({
  secret_key: "s3cret",
  anonymous: { allowed: true, role: "guest" },
  managed_api_keys: true,
  api_keys: {
    reporting: {
      key: "k-123",
      header: "x-reporting-key",
      default_role: "readonly",
      allowed_roles: ["public", "viewer"],
      headers: { role: "x-hugr-role", user_id: "x-hugr-user-id", user_name: "x-hugr-user-name" },
    },
  },
  jwt: {
    corp: {
      issuer: "https://id.example.com",
      public_key: Buffer.from(RSA_PEM).toString("base64"),
      cookie_name: "hugr_token",
      scope_role_prefix: "hugr:",
      role_header: "x-hugr-role",
      claims: { role: "x-hugr-role", user_id: "sub", user_name: "name" },
    },
  },
  oidc: {
    issuer: "https://accounts.example.com",
    client_id: "hugr",
    cookie_name: "hugr_session",
    scope_role_prefix: "app:",
    timeout: "5s",
    tls_insecure: true,
    claims: { role: "roles", user_id: "uid", user_name: "preferred_username" },
  },
});

/** The reference page's own snake_case YAML, which hugr ignores and we read. */
const SNAKE_YAML = `
secret_key: s3cret
anonymous: { allowed: true, role: guest }
managed_api_keys: true
api_keys:
  reporting:
    key: k-123
    header: X-Reporting-Key
    default_role: readonly
    allowed_roles: [public, viewer]
    headers: { role: x-hugr-role, user_id: x-hugr-user-id, user_name: x-hugr-user-name }
jwt:
  corp:
    issuer: https://id.example.com
    public_key: ${Buffer.from(RSA_PEM).toString("base64")}
    cookie_name: hugr_token
    scope_role_prefix: "hugr:"
    role_header: x-hugr-role
    claims: { role: x-hugr-role, user_id: sub, user_name: name }
oidc:
  issuer: https://accounts.example.com
  client_id: hugr
  cookie_name: hugr_session
  scope_role_prefix: "app:"
  timeout: 5s
  tls_insecure: true
  claims: { role: roles, user_id: uid, user_name: preferred_username }
`;

const EXPECTED: AuthPolicy = {
  open: false,
  anonymous: { allowed: true, role: "guest" },
  secretKey: "s3cret",
  managedApiKeys: true,
  apiKeys: [
    {
      name: "reporting",
      key: "k-123",
      header: "x-reporting-key",
      defaultRole: "readonly",
      allowedRoles: ["readonly", "public", "viewer"],
      headers: { role: "x-hugr-role", userId: "x-hugr-user-id", userName: "x-hugr-user-name" },
    },
  ],
  jwt: [
    {
      name: "corp",
      keys: { kind: "pem", pem: RSA_PEM },
      issuer: "https://id.example.com",
      cookieName: "hugr_token",
      scopeRolePrefix: "hugr:",
      roleHeader: "x-hugr-role",
      claims: { role: "x-hugr-role", userId: "sub", userName: "name" },
    },
  ],
  oidc: {
    issuer: "https://accounts.example.com",
    clientId: "hugr",
    cookieName: "hugr_session",
    scopeRolePrefix: "app:",
    roleHeader: "x-hugr-role",
    claims: { role: "roles", userId: "uid", userName: "preferred_username" },
    timeoutMs: 5_000,
    tlsInsecure: true,
  },
  impersonation: {
    role: "x-hugr-impersonated-role",
    userId: "x-hugr-impersonated-user-id",
    userName: "x-hugr-impersonated-user-name",
  },
  warnings: [],
};

describe("buildAuthPolicy: auth files that are read", () => {
  it.each([
    ["kebab-case YAML (hugr's)", withFile(KEBAB_YAML)],
    ["snake_case JSON (hugr's)", withFile(SNAKE_JSON, "json")],
    ["snake_case YAML (the reference page's)", withFile(SNAKE_YAML)],
  ])("reads %s", (_case, settings) => {
    expect(buildAuthPolicy(settings)).toEqual(EXPECTED);
  });

  it.each([
    ["an RSA PKIX PEM", RSA_PEM, RSA_PEM],
    ["an RSA PKCS#1 PEM", RSA_PKCS1_PEM, RSA_PEM],
    ["an EC PEM", EC_PEM, EC_PEM],
    ["an Ed25519 PEM", ED25519_PEM, ED25519_PEM],
    ["base64 of a PEM", Buffer.from(ED25519_PEM).toString("base64"), ED25519_PEM],
  ])("takes %s as a jwt public-key", (_case, key, pem) => {
    const contents = `jwt:\n  corp:\n    public-key: |\n${indent(key, 6)}\n`;
    expect(buildAuthPolicy(withFile(contents)).jwt[0]?.keys).toEqual({ kind: "pem", pem });
  });

  it("takes a jwks-url and an audience instead of a public key (ours)", () => {
    const contents = `jwt:\n  idp:\n    issuer: https://idp.example/\n    jwks-url: https://idp.example/.well-known/jwks.json\n    audience: hugr\n`;
    expect(buildAuthPolicy(withFile(contents)).jwt).toEqual([
      {
        name: "idp",
        keys: { kind: "jwks", url: "https://idp.example/.well-known/jwks.json" },
        issuer: "https://idp.example/",
        audience: "hugr",
        scopeRolePrefix: "hugr:",
        roleHeader: "x-hugr-role",
        claims: { role: "x-hugr-role", userId: "sub", userName: "name" },
      },
    ]);
  });

  it("gives static keys hugr's defaults", () => {
    const policy = buildAuthPolicy(withFile("api-keys:\n  ci:\n    key: k-1\n"));
    expect(policy.apiKeys).toEqual([
      {
        name: "ci",
        key: "k-1",
        header: "x-hugr-api-key",
        defaultRole: "admin",
        allowedRoles: ["admin"],
        headers: { role: "x-hugr-role", userId: "x-hugr-user-id", userName: "x-hugr-user-name" },
      },
    ]);
  });

  it.each([
    ["an empty YAML file", "", "yaml"],
    ["a YAML file of comments", "# nothing yet\n", "yaml"],
    ["an empty JSON object", "{}", "json"],
    ["null blocks", "api-keys:\njwt:\noidc:\nanonymous:\n", "yaml"],
  ] as const)("reads %s as configuring nothing, yet not open", (_case, contents, format) => {
    const policy = buildAuthPolicy(withFile(contents, format));
    expect(policy).toMatchObject({
      open: false,
      anonymous: { allowed: true, role: "public" },
      apiKeys: [],
      jwt: [],
    });
    expect(policy.oidc).toBeUndefined();
  });

  it("accepts hugr's login redirect keys, with a warning that they do nothing", () => {
    const policy = buildAuthPolicy(withFile("login-url: /login\nredirect-login-paths: [/admin]\n"));
    expect(policy.warnings).toEqual([
      "the auth file's redirect-login-paths is accepted but not acted on: hugr's browser login redirects are not implemented",
      "the auth file's login-url is accepted but not acted on: hugr's browser login redirects are not implemented",
    ]);
  });
});

describe("buildAuthPolicy: auth files that are refused", () => {
  const jwtWith = (lines: string): string => `jwt:\n  corp:\n${indent(lines, 4)}\n`;
  it.each<[string, AuthSettings, string]>([
    [
      "an unknown top-level key",
      withFile("authentication:\n  allowed_anonymous: false\n"),
      "authentication: unknown key; allowed here: secret-key, anonymous, managed-api-keys, api-keys, jwt, oidc",
    ],
    [
      "an unknown key in an api key",
      withFile("api-keys:\n  ci:\n    key: k\n    defualt-role: admin\n"),
      "api-keys.ci.defualt-role: unknown key; allowed here: key, header, default-role, allowed-roles, headers",
    ],
    [
      "an unknown claim",
      withFile(jwtWith(`jwks-url: https://idp/jwks\nclaims: { email: mail }`)),
      "jwt.corp.claims.email: unknown key; allowed here: role, user-id, user-name",
    ],
    [
      "an unknown key in oidc, listed as hugr spells them",
      withFile("oidc:\n  issuer: https://idp/\n  client_id: x\n  secret: y\n"),
      "oidc.secret: unknown key; allowed here: issuer, client_id, timeout, tls_insecure, cookie_name, scope_role_prefix, claims",
    ],
    [
      "an unknown key in JSON, listed in snake_case",
      withFile('{"api_keys": {"ci": {"key": "k", "role": "r"}}}', "json"),
      "api_keys.ci.role: unknown key; allowed here: key, header, default_role, allowed_roles, headers",
    ],
    [
      "a kebab-case key in JSON",
      withFile('{"secret-key": "k"}', "json"),
      "secret-key: unknown key: JSON auth files spell it secret_key",
    ],
    [
      "one key in both spellings",
      withFile("api-keys: {}\napi_keys: {}\n"),
      "'api-keys' and 'api_keys' are the same key",
    ],
    ["a list at the top", withFile("- a\n- b\n"), "AUTH_CONFIG_FILE: must be a mapping (got a list)"],
    ["a JSON array", withFile("[]", "json"), "AUTH_CONFIG_FILE: must be an object (got a list)"],
    ["malformed YAML", withFile("api-keys:\n  ci: [\n"), "AUTH_CONFIG_FILE: is not valid YAML at line"],
    ["two YAML documents", withFile("jwt: {}\n---\njwt: {}\n"), "is not valid YAML"],
    [
      "a YAML alias without its anchor",
      withFile("secret-key: *key\n"),
      "is not valid YAML: an alias (*name)",
    ],
    ["a repeated YAML key", withFile("jwt: {}\njwt: {}\n"), "is not valid YAML at line 2"],
    ["malformed JSON", withFile('{"jwt": {}', "json"), "AUTH_CONFIG_FILE: is not valid JSON"],
    [
      "a boolean as a string",
      withFile("anonymous: { allowed: 'yes' }\n"),
      "anonymous.allowed: must be true or false (got a string)",
    ],
    [
      "a number as a key",
      withFile("api-keys:\n  ci:\n    key: 12345\n"),
      "api-keys.ci.key: must be a string (got a number; quote it)",
    ],
    [
      "a string as a list",
      withFile("api-keys:\n  ci:\n    key: k\n    allowed-roles: viewer\n"),
      "api-keys.ci.allowed-roles: must be a list of strings",
    ],
    ["a list as a map", withFile("api-keys: [ci]\n"), "api-keys: must be a mapping (got a list)"],
    [
      "an entry that is not a mapping",
      withFile("jwt:\n  corp: true\n"),
      "jwt.corp: must be a mapping (got a boolean)",
    ],
    [
      "an api key without a key",
      withFile("api-keys:\n  ci:\n    header: x-ci\n"),
      "api-keys.ci: needs a key",
    ],
    [
      "a bad header name",
      withFile("api-keys:\n  ci:\n    key: k\n    header: 'x ci'\n"),
      'api-keys.ci.header: "x ci" is not an HTTP header name',
    ],
    [
      "a key with a trailing newline",
      withFile("api-keys:\n  ci:\n    key: |\n      k-1\n"),
      "api-keys.ci.key: has leading or trailing whitespace",
    ],
    [
      "a jwt with both key sources",
      withFile(jwtWith(`public-key: ${Buffer.from(RSA_PEM).toString("base64")}\njwks-url: https://idp/jwks`)),
      "jwt.corp: give one of public-key (a PEM public key) and jwks-url",
    ],
    [
      "a jwt with no key source",
      withFile(jwtWith("issuer: https://idp/")),
      "jwt.corp: give one of public-key",
    ],
    [
      "a jwks-url that is not http(s)",
      withFile(jwtWith("jwks-url: file:///etc/jwks.json")),
      "jwt.corp.jwks-url: must be an http:// or https:// URL",
    ],
    [
      "a bad PEM",
      withFile(jwtWith("public-key: |\n  -----BEGIN PUBLIC KEY-----\n  AAAA\n  -----END PUBLIC KEY-----")),
      "jwt.corp.public-key: not a valid PEM public key",
    ],
    [
      "text as a public key",
      withFile(jwtWith("public-key: corp-key")),
      "jwt.corp.public-key: not a PEM public key",
    ],
    [
      "a private key as a public key",
      withFile(jwtWith(`public-key: |\n${indent(RSA_PRIVATE_PEM, 2)}`)),
      "jwt.corp.public-key: is a private key",
    ],
    [
      "oidc without a client id",
      withFile("oidc:\n  issuer: https://idp/\n"),
      "oidc: needs a client_id with an issuer",
    ],
    [
      "an oidc timeout as a number",
      withFile("oidc:\n  issuer: https://idp/\n  client_id: x\n  timeout: 10\n"),
      "oidc.timeout: must be a string",
    ],
    [
      "an oidc timeout that is no duration",
      withFile("oidc:\n  issuer: https://idp/\n  client_id: x\n  timeout: soon\n"),
      "oidc.timeout: is not a duration",
    ],
    [
      "an oidc issuer that is no URL",
      withFile("oidc:\n  issuer: idp.example\n  client_id: x\n"),
      "oidc.issuer: must be an http:// or https:// URL",
    ],
    [
      "a provider named like the chain's own",
      withFile("api-keys:\n  oidc:\n    key: k\n"),
      'api-keys.oidc: "oidc" names one of the chain\'s own providers',
    ],
    [
      "an api key and a jwt of one name",
      withFile(`api-keys:\n  corp:\n    key: k\n${jwtWith("jwks-url: https://idp/jwks")}`),
      "jwt.corp: has the name of api-keys.corp",
    ],
  ])("refuses %s", (_case, settings, fragment) => {
    expectConfigError(
      configError(() => buildAuthPolicy(settings)),
      "AUTH_CONFIG_FILE",
      fragment,
    );
  });
});

describe("buildAuthPolicy: two providers on one header", () => {
  it.each<[string, AuthSettings, string]>([
    [
      "two api keys on the default header, naming both",
      withFile("api-keys:\n  a:\n    key: k-a\n  b:\n    key: k-b\n"),
      "api-keys.b: header x-hugr-api-key is also read by api-keys.a",
    ],
    [
      "two api keys on one header written in another case",
      withFile("api-keys:\n  a:\n    key: k-a\n    header: X-Key\n  b:\n    key: k-b\n    header: x-key\n"),
      "api-keys.b: header x-key is also read by api-keys.a",
    ],
    [
      "an api key on the secret key's header",
      withFile("api-keys:\n  a:\n    key: k-a\n    header: x-hugr-secret-key\n"),
      "api-keys.a: header x-hugr-secret-key is also read by the secret key",
    ],
    [
      "an api key on the managed keys' header (ALLOW_MANAGED_API_KEYS)",
      withFile("api-keys:\n  a:\n    key: k-a\n", "yaml", { managedApiKeys: true }),
      "api-keys.a: header x-hugr-api-key is also read by the managed API keys",
    ],
    [
      "an api key on the managed keys' header (managed-api-keys)",
      withFile("managed-api-keys: true\napi-keys:\n  a:\n    key: k-a\n"),
      "api-keys.a: header x-hugr-api-key is also read by the managed API keys",
    ],
    [
      "an api key on the Authorization header",
      withFile("api-keys:\n  a:\n    key: k-a\n    header: Authorization\n"),
      "api-keys.a: header authorization is also read by bearer tokens",
    ],
    [
      "an api key on a role header",
      withFile("api-keys:\n  a:\n    key: k-a\n    header: x-hugr-role\n"),
      "api-keys.a: header x-hugr-role is also api-keys.a's role header",
    ],
    [
      "an api key on another key's user header",
      withFile(
        "api-keys:\n  a:\n    key: k-a\n    headers: { user-id: x-who }\n  b:\n    key: k-b\n    header: x-who\n",
      ),
      "api-keys.b: header x-who is also api-keys.a's user id header",
    ],
    [
      "an api key on the impersonation header",
      withFile("api-keys:\n  a:\n    key: k-a\n    header: x-hugr-impersonated-role\n"),
      "api-keys.a: header x-hugr-impersonated-role is also the impersonation role header",
    ],
  ])("refuses %s", (_case, settings, fragment) => {
    expectConfigError(
      configError(() => buildAuthPolicy(settings)),
      "AUTH_CONFIG_FILE",
      fragment,
    );
  });

  it("accepts keys on headers of their own, beside managed keys", () => {
    const settings = withFile(
      "api-keys:\n  a:\n    key: k-a\n    header: x-key-a\n  b:\n    key: k-b\n    header: x-key-b\n",
      "yaml",
      { managedApiKeys: true },
    );
    expect(buildAuthPolicy(settings).apiKeys.map((k) => k.header)).toEqual(["x-key-a", "x-key-b"]);
  });
});

describe("buildAuthPolicy never shows a secret", () => {
  const SECRET = "Sup3r-S3cret-Value";
  it.each<[string, AuthSettings]>([
    ["a YAML error next to a key", withFile(`api-keys:\n  ci:\n    key: ${SECRET}\n   header: [x\n`)],
    ["a YAML error inside a key", withFile(`secret-key: "${SECRET}\n`)],
    ["a JSON error next to a key", withFile(`{"secret_key": "${SECRET}" "x"}`, "json")],
    ["a JSON error inside a key", withFile(`{"secret_key": ${SECRET}}`, "json")],
    ["a key with whitespace", withFile(`secret-key: "${SECRET} "\n`)],
    ["a key that is a number", withFile(`api-keys:\n  ci:\n    key: 123${SECRET.length}\n`)],
    [
      "a conflict between two keys",
      withFile(`api-keys:\n  a:\n    key: ${SECRET}\n  b:\n    key: ${SECRET}2\n`),
    ],
    ["SECRET_KEY with whitespace", { allowedAnonymous: true, secretKey: `${SECRET}\n` }],
  ])("%s", (_case, settings) => {
    const error = configError(() => buildAuthPolicy(settings));
    expect(error.message).not.toContain(SECRET);
    expect(String(error.stack)).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });
});

describe("buildAuthPolicy: merging the file with the environment (hugr's rules)", () => {
  it("adds the file's api keys and jwt providers to SECRET_KEY", () => {
    const policy = buildAuthPolicy(
      withFile(`api-keys:\n  ci:\n    key: k\njwt:\n  corp:\n    jwks-url: https://idp/jwks\n`, "yaml", {
        secretKey: "env-key",
      }),
    );
    expect([policy.secretKey, policy.apiKeys.length, policy.jwt.length]).toEqual(["env-key", 1, 1]);
  });

  it("lets the file's secret-key override SECRET_KEY", () => {
    expect(
      buildAuthPolicy(withFile("secret-key: file-key\n", "yaml", { secretKey: "env-key" })).secretKey,
    ).toBe("file-key");
  });

  const envOidc: AuthSettings["oidc"] = { issuer: "https://env-idp/", clientId: "env", cookieName: "c" };

  it("replaces the env's OIDC with the file's when the file names an issuer", () => {
    const policy = buildAuthPolicy(
      withFile("oidc:\n  issuer: https://file-idp/\n  client_id: file\n", "yaml", { oidc: envOidc }),
    );
    expect(policy.oidc).toEqual({
      issuer: "https://file-idp/",
      clientId: "file",
      scopeRolePrefix: "hugr:",
      roleHeader: "x-hugr-role",
      claims: { role: "x-hugr-role", userId: "sub", userName: "name" },
      timeoutMs: 10_000,
      tlsInsecure: false,
    });
  });

  it("keeps the env's OIDC when the file's issuer is empty", () => {
    const policy = buildAuthPolicy(
      withFile("oidc:\n  issuer: ''\n  cookie_name: x\n", "yaml", { oidc: envOidc }),
    );
    expect(policy.oidc).toMatchObject({ issuer: "https://env-idp/", clientId: "env", cookieName: "c" });
  });

  it("turns anonymous access on from the file, even against ALLOWED_ANONYMOUS=false", () => {
    const policy = buildAuthPolicy(
      withFile("anonymous: { allowed: true, role: guest }\n", "yaml", { allowedAnonymous: false }),
    );
    expect(policy.anonymous).toEqual({ allowed: true, role: "guest" });
  });

  it("does not let the file turn anonymous access off, and warns", () => {
    const policy = buildAuthPolicy(withFile("anonymous: { allowed: false }\n"));
    expect(policy.anonymous).toEqual({ allowed: true, role: "public" });
    expect(policy.warnings).toContainEqual(expect.stringContaining("set ALLOWED_ANONYMOUS=false"));
  });

  it("keeps anonymous access off with ALLOWED_ANONYMOUS=false and a file that does not turn it on", () => {
    const policy = buildAuthPolicy(withFile("secret-key: k\n", "yaml", { allowedAnonymous: false }));
    expect(policy.anonymous.allowed).toBe(false);
  });

  it("lets the file's anonymous role override ANONYMOUS_ROLE", () => {
    const settings = withFile("anonymous: { role: guest }\n", "yaml", { anonymousRole: "viewer" });
    expect(buildAuthPolicy(settings).anonymous.role).toBe("guest");
  });

  it("turns managed keys on from either side", () => {
    expect(buildAuthPolicy(withFile("managed-api-keys: true\n")).managedApiKeys).toBe(true);
    expect(buildAuthPolicy({ allowedAnonymous: true, managedApiKeys: true }).managedApiKeys).toBe(true);
    expect(
      buildAuthPolicy(withFile("managed-api-keys: false\n", "yaml", { managedApiKeys: true })).managedApiKeys,
    ).toBe(true);
  });
});

describe("buildAuthPolicy: defaults", () => {
  it("is open with nothing configured: anonymous requests are admin, as in hugr, with a warning", () => {
    const policy = buildAuthPolicy({ allowedAnonymous: true });
    expect(policy).toEqual({
      open: true,
      anonymous: { allowed: true, role: "admin" },
      managedApiKeys: false,
      apiKeys: [],
      jwt: [],
      impersonation: {
        role: "x-hugr-impersonated-role",
        userId: "x-hugr-impersonated-user-id",
        userName: "x-hugr-impersonated-user-name",
      },
      warnings: [
        "no authentication is configured (no SECRET_KEY, auth file, OIDC or managed API keys): anonymous requests have role admin",
      ],
    });
  });

  it("takes ANONYMOUS_ROLE when open", () => {
    expect(buildAuthPolicy({ allowedAnonymous: true, anonymousRole: "readonly" })).toMatchObject({
      open: true,
      anonymous: { role: "readonly" },
    });
  });

  it.each<[string, AuthSettings]>([
    ["SECRET_KEY", { allowedAnonymous: true, secretKey: "k" }],
    ["an auth file", withFile("")],
    ["OIDC", { allowedAnonymous: true, oidc: { issuer: "https://idp/", clientId: "hugr" } }],
    ["managed API keys", { allowedAnonymous: true, managedApiKeys: true }],
  ])("is not open with %s: anonymous requests are public", (_case, settings) => {
    const policy = buildAuthPolicy(settings);
    expect(policy.open).toBe(false);
    expect(policy.anonymous).toEqual({ allowed: true, role: "public" });
    expect(policy.warnings).toEqual([]);
  });

  it("takes ANONYMOUS_ROLE when configured", () => {
    expect(
      buildAuthPolicy({ allowedAnonymous: true, secretKey: "k", anonymousRole: "viewer" }).anonymous.role,
    ).toBe("viewer");
  });

  it("gives env OIDC hugr's claim defaults, our timeout, and the wire's fields", () => {
    expect(
      buildAuthPolicy({ allowedAnonymous: true, oidc: { issuer: "https://idp/", clientId: "hugr" } }).oidc,
    ).toEqual({
      issuer: "https://idp/",
      clientId: "hugr",
      scopeRolePrefix: "hugr:",
      roleHeader: "x-hugr-role",
      claims: { role: "x-hugr-role", userId: "sub", userName: "name" },
      timeoutMs: 10_000,
      tlsInsecure: false,
    });
    const full = buildAuthPolicy({
      allowedAnonymous: true,
      oidc: {
        issuer: "https://idp/",
        clientId: "hugr",
        cookieName: "s",
        scopeRolePrefix: "app:",
        usernameClaim: "preferred_username",
        userIdClaim: "uid",
        roleClaim: "roles",
        timeoutMs: 3_000,
        tlsInsecure: true,
      },
    }).oidc;
    expect(full).toEqual({
      issuer: "https://idp/",
      clientId: "hugr",
      cookieName: "s",
      scopeRolePrefix: "app:",
      roleHeader: "x-hugr-role",
      claims: { role: "roles", userId: "uid", userName: "preferred_username" },
      timeoutMs: 3_000,
      tlsInsecure: true,
    });
  });

  it("warns when no request can get in", () => {
    expect(buildAuthPolicy({ allowedAnonymous: false }).warnings).toEqual([
      "every request is refused: anonymous access is off and no credential of any kind is configured",
    ]);
  });

  it.each<[string, AuthSettings, string, string]>([
    [
      "an empty ANONYMOUS_ROLE",
      { allowedAnonymous: true, anonymousRole: " " },
      "ANONYMOUS_ROLE",
      "must not be empty",
    ],
    ["a SECRET_KEY with a newline", { allowedAnonymous: true, secretKey: "k\n" }, "SECRET_KEY", "whitespace"],
    [
      "an OIDC issuer that is no URL",
      { allowedAnonymous: true, oidc: { issuer: "idp", clientId: "x" } },
      "OIDC_ISSUER",
      "must be an http:// or https:// URL",
    ],
    [
      "OIDC without a client id",
      { allowedAnonymous: true, oidc: { issuer: "https://idp/", clientId: "" } },
      "OIDC_CLIENT_ID",
      "is required",
    ],
    [
      "an OIDC timeout of zero",
      { allowedAnonymous: true, oidc: { issuer: "https://idp/", clientId: "x", timeoutMs: 0 } },
      "OIDC_TIMEOUT",
      "more than zero",
    ],
  ])("refuses settings from the wire with %s, naming the variable", (_case, settings, variable, fragment) => {
    expectConfigError(
      configError(() => buildAuthPolicy(settings)),
      variable,
      fragment,
    );
  });
});
