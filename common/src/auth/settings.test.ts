import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { configError, expectConfigError } from "../env/test-fixtures.js";
import { authConfigFormat, readAuthSettings } from "./settings.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hugr-auth-settings-"));
});

describe("readAuthSettings", () => {
  it("gives only ALLOWED_ANONYMOUS in an empty environment: the rest is 'not set'", () => {
    expect(readAuthSettings({})).toEqual({ allowedAnonymous: true });
  });

  it("reads every variable into the wire form, the auth file's contents and format included", async () => {
    const file = join(dir, "auth.yml");
    await writeFile(file, "secret-key: from-file\n");
    expect(
      readAuthSettings({
        ALLOWED_ANONYMOUS: "false",
        ANONYMOUS_ROLE: "guest",
        SECRET_KEY: "env-key",
        ALLOW_MANAGED_API_KEYS: "yes",
        AUTH_CONFIG_FILE: file,
        OIDC_ISSUER: "https://idp.example/",
        OIDC_CLIENT_ID: "hugr",
        OIDC_COOKIE_NAME: "hugr_session",
        OIDC_SCOPE_ROLE_PREFIX: "app:",
        OIDC_USERNAME_CLAIM: "preferred_username",
        OIDC_USERID_CLAIM: "uid",
        OIDC_ROLE_CLAIM: "roles",
        OIDC_TIMEOUT: "3s",
        OIDC_TLS_INSECURE: "true",
      }),
    ).toEqual({
      allowedAnonymous: false,
      anonymousRole: "guest",
      secretKey: "env-key",
      managedApiKeys: true,
      authConfig: { name: file, format: "yaml", contents: "secret-key: from-file\n" },
      oidc: {
        issuer: "https://idp.example/",
        clientId: "hugr",
        cookieName: "hugr_session",
        scopeRolePrefix: "app:",
        usernameClaim: "preferred_username",
        userIdClaim: "uid",
        roleClaim: "roles",
        timeoutMs: 3_000,
        tlsInsecure: true,
      },
    });
  });

  it("reads a JSON auth file as JSON", async () => {
    const file = join(dir, "auth.json");
    await writeFile(file, "{}");
    expect(readAuthSettings({ AUTH_CONFIG_FILE: file }).authConfig).toEqual({
      name: file,
      format: "json",
      contents: "{}",
    });
  });

  it.each([
    ["an extension hugr does not read", "/etc/hugr/auth.toml", "must end in .yaml, .yml or .json"],
    ["a missing file", "/nonexistent/auth.yaml", "cannot be read: ENOENT"],
  ])("refuses %s, naming AUTH_CONFIG_FILE", (_case, path, fragment) => {
    expectConfigError(
      configError(() => readAuthSettings({ AUTH_CONFIG_FILE: path })),
      "AUTH_CONFIG_FILE",
      fragment,
    );
  });
});

describe("authConfigFormat", () => {
  it.each([
    ["auth.yaml", "yaml"],
    ["auth.YML", "yaml"],
    ["/etc/hugr/auth.json", "json"],
    ["auth", undefined],
    ["auth.yaml.bak", undefined],
  ])("%s is %s", (name, format) => {
    expect(authConfigFormat(name)).toBe(format);
  });
});
