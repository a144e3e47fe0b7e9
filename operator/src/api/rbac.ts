import { GROUP } from "./v1alpha1/index.js";

/**
 * The operator's RBAC, least privilege, as data: one source for config/rbac/ (kustomize), the Helm
 * chart's files/ (its templates include them with .Files.Get) and the tests. `make generate` writes
 * them; `make lint` fails when a copy is stale. Every rule names its API groups, resources and verbs
 * explicitly: no wildcard, no resourceNames (the operator's objects are named after the user's
 * resources, so names cannot be listed in advance).
 */

/** A Kubernetes API verb. `deletecollection`, `escalate`, `bind` and `impersonate` are never needed. */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

/** An rbac.authorization.k8s.io/v1 PolicyRule, limited to what the operator's rules use. */
export interface PolicyRule {
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly Verb[];
}

/** Name of the ClusterRole (and its binding) with the operator's rules. */
export const OPERATOR_CLUSTER_ROLE = "hugr-operator";
/** Name of the Role (and its binding) for leader election, in the operator's own namespace. */
export const LEADER_ELECTION_ROLE = "hugr-operator-leader-election";
/** The operator's ServiceAccount in the kustomize manifests (the chart names it after the release). */
export const OPERATOR_SERVICE_ACCOUNT = "hugr-operator";

/** Read and watch: what an informer needs. */
const READ: readonly Verb[] = ["get", "list", "watch"];
/**
 * Everything for an object the operator owns: create and patch for server-side apply (an apply that
 * creates the object is authorized as create too), update for ownerReference and finalizer edits,
 * delete for objects a spec change makes obsolete (an HPA when autoscaling is turned off, a PDB when
 * it is disabled).
 */
const OWN: readonly Verb[] = [...READ, "create", "update", "patch", "delete"];

/** The plural resource names of the custom resources. */
export const CUSTOM_RESOURCES = ["hugrclusters", "hugrdatasources", "hugrobjectstorages"] as const;

/**
 * An object kind the operator renders for a HugrCluster and applies with server-side apply, owned by
 * the HugrCluster (ownerReference with controller: true), with the verbs it needs on it.
 */
export interface OwnedKind {
  apiVersion: string;
  kind: string;
  /** The plural resource name RBAC uses. */
  resource: string;
  verbs: readonly Verb[];
}

/**
 * Every kind the operator renders or writes. Secrets: the generated cluster secret, and the
 * credentials of a storage registered through GraphQL (register_object_storage); they are never
 * deleted by the operator, but go with their owner through garbage collection, and a user's Secret
 * is not the operator's to delete. ConfigMaps carry the workers' non-secret configuration.
 */
export const OWNED_KINDS: readonly OwnedKind[] = [
  { apiVersion: "v1", kind: "Secret", resource: "secrets", verbs: [...READ, "create", "update", "patch"] },
  { apiVersion: "v1", kind: "ConfigMap", resource: "configmaps", verbs: OWN },
  { apiVersion: "v1", kind: "Service", resource: "services", verbs: OWN },
  { apiVersion: "apps/v1", kind: "Deployment", resource: "deployments", verbs: OWN },
  {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    resource: "horizontalpodautoscalers",
    verbs: OWN,
  },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget", resource: "poddisruptionbudgets", verbs: OWN },
];

/** The API group of an apiVersion: "" for the core group's "v1". */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * The ClusterRole's rules. The custom resources: read, and update/patch for finalizers and metadata;
 * create and delete for hugrdatasources and hugrobjectstorages only, because the management API turns
 * the cluster mutations of a worker (load_data_source, register_object_storage,
 * unregister_object_storage) into a create, update or delete of that resource. A HugrCluster is only
 * ever created and deleted by users. Status and finalizers are subresources with their own rules.
 * Events: create and patch (a repeated Event is patched) in both APIs, events.k8s.io/v1 and core/v1,
 * so the recorder may use either; the operator never reads Events.
 */
export const operatorClusterRules: readonly PolicyRule[] = [
  { apiGroups: [GROUP], resources: ["hugrclusters"], verbs: [...READ, "update", "patch"] },
  {
    apiGroups: [GROUP],
    resources: ["hugrdatasources", "hugrobjectstorages"],
    verbs: [...READ, "create", "update", "patch", "delete"],
  },
  {
    apiGroups: [GROUP],
    resources: CUSTOM_RESOURCES.map((r) => `${r}/status`),
    verbs: ["get", "update", "patch"],
  },
  { apiGroups: [GROUP], resources: CUSTOM_RESOURCES.map((r) => `${r}/finalizers`), verbs: ["update"] },
  ...OWNED_KINDS.map((owned) => ({
    apiGroups: [apiGroupOf(owned.apiVersion)],
    resources: [owned.resource],
    verbs: owned.verbs,
  })),
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
];

/**
 * The leader-election Role's rules, in the operator's namespace: a coordination.k8s.io Lease the
 * replicas compete for (get to read the holder, create the first time, update to renew or take over),
 * and the replicas' own pods, which the leader labels `hugr.io/leader=true` so that the operator's
 * Service routes the workers to it (get to find its pod, patch to set or remove the label).
 */
export const leaderElectionRules: readonly PolicyRule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] },
];

/** True when one of `rules` allows `verb` on `resource` (e.g. "deployments", "hugrclusters/status") in `apiGroup`. */
export function allows(
  rules: readonly PolicyRule[],
  request: { apiGroup: string; resource: string; verb: Verb },
): boolean {
  return rules.some(
    (rule) =>
      rule.apiGroups.includes(request.apiGroup) &&
      rule.resources.includes(request.resource) &&
      rule.verbs.includes(request.verb),
  );
}
