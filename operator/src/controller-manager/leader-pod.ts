import { PatchStrategy, setHeaderOptions, type CoreV1Api } from "@kubernetes/client-node";
import type { Logger } from "@hugr/common";
import { errorSummary, isNotFound } from "../kube/index.js";

/**
 * The label the leading replica puts on its own pod. The operator's Service selects it, so workers
 * always reach the leader, while every replica whose caches are synced reports ready: rolling
 * updates and PodDisruptionBudgets of the operator work as for any Deployment (CloudNativePG marks
 * its primary the same way).
 */
export const LEADER_LABEL = "hugr.io/leader";

export interface LeaderPodLabel {
  /** Sets (true) or removes (false) the label on this replica's pod; resolves false when that failed. */
  mark(leading: boolean): Promise<boolean>;
}

/**
 * Labels this replica's pod. Outside a pod (a developer's kubeconfig, the tests' processes) there is
 * no pod of that name: the first 404 is logged once and every later call is a no-op.
 */
export function createLeaderPodLabel(
  core: CoreV1Api,
  pod: { namespace: string; name: string },
  logger: Logger,
): LeaderPodLabel {
  let inPod = true;
  return {
    async mark(leading) {
      if (!inPod) return true;
      const body = { metadata: { labels: { [LEADER_LABEL]: leading ? "true" : null } } };
      try {
        await core.patchNamespacedPod(
          { ...pod, body },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        return true;
      } catch (error) {
        if (isNotFound(error)) {
          inPod = false;
          logger.info(
            { pod: `${pod.namespace}/${pod.name}` },
            "no pod of this name: not labelling the leader",
          );
          return true;
        }
        logger.error({ ...errorSummary(error), leading }, "could not update the leader label of this pod");
        return false;
      }
    },
  };
}

/** Pause between attempts to label the leader's pod (the Service has no endpoint until it is). */
const LABEL_RETRY_MS = 2_000;

/** Labels this replica's pod as the leader's, retrying for as long as `leading()` holds. */
export async function labelWhileLeading(label: LeaderPodLabel, leading: () => boolean): Promise<void> {
  while (leading() && !(await label.mark(true))) {
    await new Promise((resolve) => setTimeout(resolve, LABEL_RETRY_MS));
  }
}
