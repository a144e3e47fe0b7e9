import { buildAuthPolicy, createLogger } from "@hugr/common";
import { describe, expect, it } from "vitest";
import { MemoryCredentialStore } from "./credentials/test-fixtures.js";
import { AuthFailure } from "./identity.js";
import { rolePermissions } from "./permissions/rules.js";
import { createRequestAuthenticator } from "./request.js";
import type { AuthStore } from "./store.js";

/** The credential fixture's roles, each with no permission rows. */
function store(): AuthStore {
  const credentials = new MemoryCredentialStore();
  return {
    role: (name) => credentials.role(name),
    apiKey: (key) => credentials.apiKey(key),
    permissions: async (name) => {
      const role = await credentials.role(name);
      return role && rolePermissions(role, []);
    },
  };
}

const logger = createLogger("silent", "test");
const request = (headers: Record<string, string> = {}) => new Request("http://node/graphql", { headers });

describe("createRequestAuthenticator", () => {
  it("answers 503 until a cluster node has its settings, then applies them", async () => {
    const auth = createRequestAuthenticator({ policy: undefined, store: store(), logger });
    const refused = await auth.authenticate(request()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuthFailure);
    expect(refused).toMatchObject({ status: 503, code: "UNAVAILABLE" });

    auth.setPolicy(buildAuthPolicy({ allowedAnonymous: true, secretKey: "s-1" }));
    expect((await auth.authenticate(request())).identity.role).toBe("public");
    expect((await auth.authenticate(request({ "x-hugr-secret-key": "s-1" }))).identity.role).toBe("admin");
  });

  it("gives the engine no rules for a role without permission rows", async () => {
    const auth = createRequestAuthenticator({
      policy: buildAuthPolicy({ allowedAnonymous: true }),
      store: store(),
      logger,
    });
    const { identity, access } = await auth.authenticate(request());
    expect(identity.role).toBe("admin");
    expect(access).toBeUndefined();
  });
});
