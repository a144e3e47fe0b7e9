import type { AuthPolicy, Logger } from "@hugr/common";
import type { AccessRules } from "../engine/index.js";
import { createAuthenticator } from "./credentials/index.js";
import { forbidden, unavailable, type Identity } from "./identity.js";
import { accessRules } from "./permissions/access.js";
import type { RolePermissions } from "./permissions/rules.js";
import type { AuthStore } from "./store.js";

/** Who asks, and what their role may do: what every GraphQL request carries in its context. */
export interface RequestAuth {
  identity: Identity;
  permissions: RolePermissions;
  /** The engine's rules; undefined when the role has no permission rows (nothing to apply). */
  access: AccessRules | undefined;
}

export interface RequestAuthenticator {
  /** The request's identity and permissions; throws AuthFailure (401/403) when it may not ask. */
  authenticate(request: Request): Promise<RequestAuth>;
  /** Applies a new policy to the requests that arrive from now on (a cluster's settings changed). */
  setPolicy(policy: AuthPolicy): void;
  close(): void;
}

/**
 * `policy` undefined: the node has none yet (a cluster node before the management node's settings
 * arrive) and answers 503 until `setPolicy`, never serving a request it cannot judge.
 */
export function createRequestAuthenticator(options: {
  policy: AuthPolicy | undefined;
  store: AuthStore;
  logger: Logger;
}): RequestAuthenticator {
  const { store, logger } = options;
  const make = (policy: AuthPolicy) => createAuthenticator(policy, store, { logger });
  let current = options.policy && make(options.policy);
  return {
    async authenticate(request) {
      if (!current)
        throw unavailable(
          "this node has not yet received its authentication settings from the management node",
        );
      const identity = await current.authenticate(request.headers);
      const permissions = await store.permissions(identity.role);
      // The chain checked the role; it may have gone since (deleted by another node meanwhile).
      if (!permissions || permissions.disabled) throw forbidden(`role "${identity.role}" is not available`);
      const access = permissions.rows.length > 0 ? accessRules(identity, permissions) : undefined;
      return { identity, permissions, access };
    },
    setPolicy(policy) {
      const previous = current;
      current = make(policy);
      previous?.close?.();
    },
    close() {
      current?.close?.();
    },
  };
}
