import { describe, expect, it } from "vitest";
import { createAuthenticator } from "./index.js";
import { authPolicy, expectRefused, managedKey, MemoryCredentialStore, staticKey } from "./test-fixtures.js";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const now = (): number => NOW;
const SECRET = "s3cret-admin-key-value";

describe("the provider chain", () => {
  it("answers 401 'authentication required' when nothing is presented and anonymous is off", async () => {
    const auth = createAuthenticator(authPolicy(), new MemoryCredentialStore());
    await expectRefused(auth.authenticate(new Headers()), 401, /^authentication required$/);
  });

  it("gives a request without credentials the anonymous role when allowed", async () => {
    const auth = createAuthenticator(
      authPolicy({ anonymous: { allowed: true, role: "readonly" } }),
      new MemoryCredentialStore(),
    );
    expect(await auth.authenticate(new Headers())).toEqual({
      role: "readonly",
      userId: "anonymous",
      userName: "anonymous",
      authType: "anonymous",
      provider: "anonymous",
      claims: {},
    });
  });

  it("refuses anonymous requests with 403 when ANONYMOUS_ROLE names a missing or disabled role", async () => {
    for (const role of ["ghost", "retired"]) {
      const auth = createAuthenticator(
        authPolicy({ anonymous: { allowed: true, role } }),
        new MemoryCredentialStore(),
      );
      await expectRefused(
        auth.authenticate(new Headers()),
        403,
        new RegExp(`role "${role}" (does not exist|is disabled)`),
      );
    }
  });

  it("reads a managed key before a static key on the same header, and both before the secret key", async () => {
    const store = new MemoryCredentialStore();
    store.keys.set("shared-value", managedKey({ name: "etl", defaultRole: "analyst" }));
    const auth = createAuthenticator(
      authPolicy({ managedApiKeys: true, apiKeys: [staticKey({ key: "shared-value" })], secretKey: SECRET }),
      store,
    );
    const identity = await auth.authenticate(
      new Headers({ "x-hugr-api-key": "shared-value", "x-hugr-secret-key": SECRET }),
    );
    expect(identity).toMatchObject({
      role: "analyst",
      authType: "db-api-key",
      provider: "managed",
      userId: "etl",
    });
  });

  it("takes a static key on the managed header when the core database does not know the value", async () => {
    const auth = createAuthenticator(
      authPolicy({ managedApiKeys: true, apiKeys: [staticKey()] }),
      new MemoryCredentialStore(),
    );
    const identity = await auth.authenticate(new Headers({ "x-hugr-api-key": staticKey().key }));
    expect(identity).toMatchObject({ role: "readonly", authType: "apiKey", provider: "reporting" });
  });

  it("never lets a rejected credential end as anonymous", async () => {
    const auth = createAuthenticator(
      authPolicy({
        anonymous: { allowed: true, role: "public" },
        managedApiKeys: true,
        apiKeys: [staticKey({ header: "x-reporting-key" })],
        secretKey: SECRET,
      }),
      new MemoryCredentialStore(),
    );
    const wrong = "not-a-known-key-value";
    await expectRefused(
      auth.authenticate(new Headers({ "x-hugr-api-key": wrong })),
      401,
      /API key is not valid/,
      [wrong],
    );
    await expectRefused(
      auth.authenticate(new Headers({ "x-reporting-key": wrong })),
      401,
      /API key is not valid/,
      [wrong],
    );
    await expectRefused(
      auth.authenticate(new Headers({ "x-hugr-secret-key": wrong })),
      401,
      /secret key is not valid/,
      [wrong],
    );
  });

  it("ignores a credential header no provider reads (no token provider: Authorization is not read)", async () => {
    const auth = createAuthenticator(
      authPolicy({ anonymous: { allowed: true, role: "public" } }),
      new MemoryCredentialStore(),
    );
    const identity = await auth.authenticate(
      new Headers({
        "x-hugr-api-key": "whatever",
        "x-hugr-secret-key": "whatever",
        authorization: "Bearer x",
      }),
    );
    expect(identity.authType).toBe("anonymous");
  });

  it("refuses an oversized credential header with 401 before reading it", async () => {
    const auth = createAuthenticator(authPolicy({ apiKeys: [staticKey()] }), new MemoryCredentialStore());
    const huge = "k".repeat(17 * 1024);
    await expectRefused(auth.authenticate(new Headers({ "x-hugr-api-key": huge })), 401, /too large/, [huge]);
  });
});

describe("the secret key", () => {
  const auth = createAuthenticator(authPolicy({ secretKey: SECRET }), new MemoryCredentialStore());

  it("is admin, as hugr's x-hugr-secret-key", async () => {
    expect(await auth.authenticate(new Headers({ "x-hugr-secret-key": SECRET }))).toEqual({
      role: "admin",
      userId: "api",
      userName: "api",
      authType: "apiKey",
      provider: "secret-key",
      claims: {},
    });
  });

  it("refuses a wrong value, also one that shares its prefix or differs in length", async () => {
    for (const wrong of [`${SECRET}x`, SECRET.slice(0, -1), SECRET.toUpperCase()]) {
      await expectRefused(auth.authenticate(new Headers({ "x-hugr-secret-key": wrong })), 401, /secret key/, [
        wrong,
      ]);
    }
  });

  it("acts as a user through hugr's role and user headers, as an impersonation by admin", async () => {
    const identity = await auth.authenticate(
      new Headers({ "x-hugr-secret-key": SECRET, "x-hugr-role": "analyst", "x-hugr-user-id": "u-7" }),
    );
    expect(identity).toEqual({
      role: "analyst",
      userId: "u-7",
      userName: "u-7",
      authType: "impersonation",
      provider: "secret-key",
      claims: {},
      impersonatedBy: { role: "admin", userId: "api", userName: "api" },
    });
  });
});

describe("static API keys", () => {
  const key = staticKey({ allowedRoles: ["analyst"] });
  const other = staticKey({
    name: "ops",
    key: "k-ops-9876543210",
    header: "x-ops-key",
    defaultRole: "admin",
  });
  const auth = createAuthenticator(authPolicy({ apiKeys: [key, other] }), new MemoryCredentialStore());

  it("gives the default role and the user 'api' when the request names none", async () => {
    expect(await auth.authenticate(new Headers({ "x-hugr-api-key": key.key }))).toEqual({
      role: "readonly",
      userId: "api",
      userName: "api",
      authType: "apiKey",
      provider: "reporting",
      claims: {},
    });
  });

  it("reads each key on its own header", async () => {
    const identity = await auth.authenticate(new Headers({ "x-ops-key": other.key }));
    expect(identity).toMatchObject({ role: "admin", provider: "ops" });
  });

  it("takes the user from the key's user headers", async () => {
    const identity = await auth.authenticate(
      new Headers({ "x-hugr-api-key": key.key, "x-hugr-user-id": "42", "x-hugr-user-name": "Ann" }),
    );
    expect(identity).toMatchObject({ userId: "42", userName: "Ann" });
  });

  it("lets the role header choose a granted role (the default or an allowed one)", async () => {
    for (const role of ["readonly", "analyst"]) {
      const identity = await auth.authenticate(
        new Headers({ "x-hugr-api-key": key.key, "x-hugr-role": role }),
      );
      expect(identity.role).toBe(role);
    }
  });

  it("refuses with 403 a role header naming a role the key does not grant (hugr allows any)", async () => {
    await expectRefused(
      auth.authenticate(new Headers({ "x-hugr-api-key": key.key, "x-hugr-role": "admin" })),
      403,
      /^role "admin" is not granted by this credential$/,
    );
  });

  it("refuses with 403 a granted role that is disabled or missing in the core database", async () => {
    const withRetired = createAuthenticator(
      authPolicy({ apiKeys: [staticKey({ allowedRoles: ["retired", "ghost"] })] }),
      new MemoryCredentialStore(),
    );
    await expectRefused(
      withRetired.authenticate(new Headers({ "x-hugr-api-key": key.key, "x-hugr-role": "retired" })),
      403,
      /role "retired" is disabled/,
    );
    await expectRefused(
      withRetired.authenticate(new Headers({ "x-hugr-api-key": key.key, "x-hugr-role": "ghost" })),
      403,
      /role "ghost" does not exist/,
    );
  });
});

describe("managed API keys", () => {
  const store = new MemoryCredentialStore();
  store.keys.set("mk-plain", managedKey({ name: "etl" }));
  store.keys.set("mk-disabled", managedKey({ name: "old", disabled: true }));
  store.keys.set("mk-expired", managedKey({ isTemporal: true, expiresAt: new Date(NOW - 60_000) }));
  store.keys.set("mk-no-expiry", managedKey({ isTemporal: true, expiresAt: null }));
  store.keys.set(
    "mk-valid",
    managedKey({ name: "tmp", isTemporal: true, expiresAt: new Date(NOW + 60_000) }),
  );
  store.keys.set(
    "mk-claims",
    managedKey({
      name: "svc",
      defaultRole: "readonly",
      headers: { role: "x-hugr-role", userId: "x-hugr-user-id" },
      claims: { role: "analyst", user_id: "svc-1", user_name: "Service", tenant: "acme", nested: { no: 1 } },
    }),
  );
  store.keys.set(
    "mk-headers",
    managedKey({ name: "hdr", headers: { role: "x-role", userId: "x-uid", userName: "x-uname" } }),
  );
  const auth = createAuthenticator(authPolicy({ managedApiKeys: true }), store, { now });
  const request = (key: string, extra: Record<string, string> = {}): Promise<unknown> =>
    auth.authenticate(new Headers({ "x-hugr-api-key": key, ...extra }));

  it("identifies a key as db-api-key of provider 'managed', its name as the user by default", async () => {
    expect(await request("mk-plain")).toEqual({
      role: "readonly",
      userId: "etl",
      userName: "etl",
      authType: "db-api-key",
      provider: "managed",
      claims: {},
    });
  });

  it("refuses unknown, disabled and expired keys with 401", async () => {
    await expectRefused(request("mk-unknown-value"), 401, /API key is not valid/, ["mk-unknown-value"]);
    await expectRefused(request("mk-disabled"), 401, /API key is disabled/, ["mk-disabled"]);
    await expectRefused(request("mk-expired"), 401, /API key has expired/, ["mk-expired"]);
    await expectRefused(request("mk-no-expiry"), 401, /API key has expired/, ["mk-no-expiry"]);
  });

  it("accepts a temporal key before its expiry", async () => {
    expect(await request("mk-valid")).toMatchObject({ role: "readonly", userId: "tmp" });
  });

  it("takes role and user from the key's claims, and passes scalar claims on", async () => {
    expect(await request("mk-claims", { "x-hugr-user-id": "ignored" })).toEqual({
      role: "analyst",
      userId: "svc-1",
      userName: "Service",
      authType: "db-api-key",
      provider: "managed",
      claims: { role: "analyst", user_id: "svc-1", user_name: "Service", tenant: "acme" },
    });
  });

  it("lets the key's role header choose default_role or claims.role, and nothing else", async () => {
    expect(await request("mk-claims", { "x-hugr-role": "readonly" })).toMatchObject({ role: "readonly" });
    expect(await request("mk-claims", { "x-hugr-role": "analyst" })).toMatchObject({ role: "analyst" });
    await expectRefused(request("mk-claims", { "x-hugr-role": "admin" }), 403, /role "admin" is not granted/);
  });

  it("reads the role and user headers the key names", async () => {
    expect(
      await request("mk-headers", { "x-role": "readonly", "x-uid": "7", "x-uname": "Bo" }),
    ).toMatchObject({
      role: "readonly",
      userId: "7",
      userName: "Bo",
    });
    await expectRefused(request("mk-headers", { "x-role": "analyst" }), 403, /not granted/);
  });
});

describe("impersonation", () => {
  const admin = staticKey({ name: "root", key: "k-root-0123456789", defaultRole: "admin" });
  const reader = staticKey({ name: "reader", key: "k-reader-0123456789", header: "x-reader-key" });
  const auth = createAuthenticator(authPolicy({ apiKeys: [admin, reader] }), new MemoryCredentialStore());

  it("lets a role with can_impersonate act as another role and user", async () => {
    const identity = await auth.authenticate(
      new Headers({
        "x-hugr-api-key": admin.key,
        "x-hugr-user-id": "ops-1",
        "x-hugr-impersonated-role": "readonly",
        "x-hugr-impersonated-user-id": "u-9",
        "x-hugr-impersonated-user-name": "Zoe",
      }),
    );
    expect(identity).toEqual({
      role: "readonly",
      userId: "u-9",
      userName: "Zoe",
      authType: "impersonation",
      provider: "root",
      claims: {},
      impersonatedBy: { role: "admin", userId: "ops-1", userName: "api" },
    });
  });

  it("keeps the caller's role when only a user is impersonated", async () => {
    const identity = await auth.authenticate(
      new Headers({ "x-hugr-api-key": admin.key, "x-hugr-impersonated-user-id": "u-3" }),
    );
    expect(identity).toMatchObject({
      role: "admin",
      userId: "u-3",
      userName: "u-3",
      authType: "impersonation",
    });
  });

  it("refuses with 403 a caller whose role may not impersonate", async () => {
    await expectRefused(
      auth.authenticate(new Headers({ "x-reader-key": reader.key, "x-hugr-impersonated-role": "public" })),
      403,
      /role "readonly" may not impersonate/,
    );
  });

  it("refuses with 403 a target role that is missing or disabled", async () => {
    for (const [role, reason] of [
      ["ghost", "does not exist"],
      ["retired", "is disabled"],
    ]) {
      await expectRefused(
        auth.authenticate(new Headers({ "x-hugr-api-key": admin.key, "x-hugr-impersonated-role": role! })),
        403,
        new RegExp(`role "${role}" ${reason}`),
      );
    }
  });
});
