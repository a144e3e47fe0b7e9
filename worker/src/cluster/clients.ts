import { createManagementClient, type ManagementClient } from "@hugr/protocol";
import type { ClusterConfig } from "../config/index.js";

export interface ManagementClients {
  /** Register, heartbeat, deregister: bounded by CLUSTER_TIMEOUT. */
  membership: ManagementClient;
  /** Cluster operations: bounded by the management node's own TIMEOUT plus a margin (set at registration). */
  operations: ManagementClient;
  setOperationTimeout(timeoutMs: number): void;
}

/**
 * Two clients of the management API with different timeouts: a node must notice an unreachable
 * management node quickly (CLUSTER_TIMEOUT), but must not give up on an operation that the
 * management node is still fanning out within its per-node TIMEOUT.
 */
export function createManagementClients(config: ClusterConfig): ManagementClients {
  const create = (timeoutMs: number): ManagementClient =>
    createManagementClient({ baseUrl: config.managementUrl, secret: config.secret, timeoutMs });
  let operations = create(Math.max(config.timeoutMs, DEFAULT_OPERATION_TIMEOUT_MS));
  return {
    membership: create(config.timeoutMs),
    // The operations client is replaced when the timeout is learnt; callers keep one reference.
    operations: new Proxy({} as ManagementClient, {
      // The client's methods are closures that never use `this`: handing them out unbound is safe.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      get: (_target, key) => operations[key as keyof ManagementClient],
    }),
    setOperationTimeout: (timeoutMs) => {
      operations = create(timeoutMs);
    },
  };
}

/** Until registration tells the real one: hugr's default TIMEOUT (30s) plus a margin. */
const DEFAULT_OPERATION_TIMEOUT_MS = 35_000;
