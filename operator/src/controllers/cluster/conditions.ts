/** Condition types of a HugrCluster. Ready summarizes; Progressing and Degraded explain. */
export type ClusterConditionType = "Ready" | "Progressing" | "Degraded";

/**
 * Every reason the operator writes, CamelCase, shared by conditions and Events so that
 * `kubectl describe` and `kubectl get events` tell the same story.
 */
export type ClusterReason =
  | "AllNodesReady"
  | "NodesNotReady"
  | "ScaledToZero"
  | "RollingOut"
  | "RolloutComplete"
  | "AsExpected"
  | "SecretNotFound"
  | "SecretKeyNotFound"
  | "InvalidAuthConfig"
  | "CoreDatabaseUnreachable"
  | "ClusterSecretGenerated"
  | "ConfigurationChanged";

/** One condition as a reconcile computes it; the time is kept from the stored one while its status holds. */
export interface ConditionUpdate {
  type: ClusterConditionType;
  status: "True" | "False" | "Unknown";
  reason: ClusterReason;
  message: string;
}
