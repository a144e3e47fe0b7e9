import type { ClusterOperationResult, NodeOperationResult, NodeResult } from "@hugr/protocol";

export interface FanOutTarget {
  name: string;
}

/**
 * Runs `operation` on every target in parallel; each gets the per-node timeout inside
 * `operation` (the node client's). The result succeeds only when there was at least one target and
 * every one of them succeeded; otherwise the message names each failed node with its error.
 */
export async function fanOut<T extends FanOutTarget>(
  targets: readonly T[],
  operation: (target: T) => Promise<NodeOperationResult>,
  describe: { action: string; skipped: number },
): Promise<ClusterOperationResult> {
  if (targets.length === 0) {
    return { success: false, message: `${describe.action}: no ready nodes in the cluster`, nodes: [] };
  }
  const nodes = await Promise.all(targets.map((target) => runOne(target, operation)));
  const failed = nodes.filter((n) => !n.success);
  const skipped =
    describe.skipped > 0 ? `; ${describe.skipped} not-ready node(s) will converge when ready` : "";
  if (failed.length === 0) {
    return { success: true, message: `${describe.action}: done on ${nodes.length} node(s)${skipped}`, nodes };
  }
  const details = failed.map((n) => `${n.node}: ${n.error}`).join("; ");
  return {
    success: false,
    message: `${describe.action}: failed on ${failed.length} of ${nodes.length} node(s): ${details}${skipped}`,
    nodes,
  };
}

async function runOne<T extends FanOutTarget>(
  target: T,
  operation: (target: T) => Promise<NodeOperationResult>,
): Promise<NodeResult> {
  const started = performance.now();
  try {
    const result = await operation(target);
    return { node: target.name, ...result, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      node: target.name,
      success: false,
      error: message,
      durationMs: Math.round(performance.now() - started),
    };
  }
}
