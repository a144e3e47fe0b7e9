import type { AuthSettings } from "@hugr/protocol";
import type { HugrCluster, SecretKeyRef } from "../../api/v1alpha1/index.js";
import type { ClusterSettings } from "../../management/index.js";
import { CLUSTER_SECRET_KEY, clusterSecretName, type WorkerInputs } from "./specs/index.js";

/** Decoded data of the Secrets a cluster references, by Secret name; undefined: no such Secret. */
export type SecretData = ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;

/** What a HugrCluster needs from its Secrets, resolved: the workers' inputs and the coordination's settings. */
export type Resolution =
  | { ok: true; inputs: WorkerInputs; settings: ClusterSettings }
  | { ok: false; reason: "SecretNotFound" | "SecretKeyNotFound"; message: string };

/** Where the cluster secret lives: the user's reference, or the Secret the operator generates. */
export function clusterSecretRef(cluster: HugrCluster): SecretKeyRef {
  return cluster.spec.clusterSecretRef ?? { name: clusterSecretName(cluster), key: CLUSTER_SECRET_KEY };
}

/** Every Secret reference of the spec, each with the field that holds it (for error messages). */
function references(cluster: HugrCluster): [string, SecretKeyRef | undefined][] {
  const { spec } = cluster;
  const l2 = spec.cache?.l2;
  return [
    ["spec.clusterSecretRef", clusterSecretRef(cluster)],
    ["spec.coreDB.urlSecretRef", spec.coreDB.urlSecretRef],
    ["spec.cache.l2.passwordSecretRef", l2?.enabled === true ? l2.passwordSecretRef : undefined],
    ["spec.auth.secretKeySecretRef", spec.auth?.secretKeySecretRef],
    ["spec.auth.configSecretRef", spec.auth?.configSecretRef],
  ];
}

/** Names of the Secrets to read for this cluster, without repeats. */
export function referencedSecretNames(cluster: HugrCluster): string[] {
  const names = references(cluster).flatMap(([, ref]) => (ref ? [ref.name] : []));
  return [...new Set(names)].sort();
}

/**
 * Resolves every reference against the Secrets read. The first missing Secret or key is the answer,
 * naming the field and the Secret, never a value.
 */
export function resolveCluster(cluster: HugrCluster, secrets: SecretData, managementUrl: string): Resolution {
  const values = new Map<string, string>();
  for (const [field, ref] of references(cluster)) {
    if (!ref) continue;
    const data = secrets.get(ref.name);
    if (data === undefined) {
      return { ok: false, reason: "SecretNotFound", message: `${field}: Secret '${ref.name}' not found` };
    }
    const value = data[ref.key];
    if (value === undefined || value === "") {
      const message = `${field}: Secret '${ref.name}' has no key '${ref.key}' (or it is empty)`;
      return { ok: false, reason: "SecretKeyNotFound", message };
    }
    values.set(field, value);
  }
  return { ok: true, ...resolved(cluster, values, managementUrl) };
}

function resolved(
  cluster: HugrCluster,
  values: ReadonlyMap<string, string>,
  managementUrl: string,
): { inputs: WorkerInputs; settings: ClusterSettings } {
  const clusterSecret = values.get("spec.clusterSecretRef") ?? "";
  const coreDbUrl = values.get("spec.coreDB.urlSecretRef") ?? "";
  const cachePassword = values.get("spec.cache.l2.passwordSecretRef");
  return {
    inputs: {
      managementUrl: clusterManagementUrl(managementUrl, cluster),
      secrets: { clusterSecret, coreDbUrl, ...(cachePassword === undefined ? {} : { cachePassword }) },
    },
    settings: {
      coreDbUrl,
      coreDbReadOnly: cluster.spec.coreDB.readOnly ?? false,
      secret: clusterSecret,
      auth: authSettings(cluster, values),
    },
  };
}

/** The base URL a cluster's workers are given: the operator's, plus the cluster's own prefix. */
export function clusterManagementUrl(operatorUrl: string, cluster: HugrCluster): string {
  const { namespace = "", name = "" } = cluster.metadata;
  return `${operatorUrl.replace(/\/+$/, "")}/clusters/${namespace}/${name}`;
}

/** The authentication settings every node of the cluster receives at registration. */
function authSettings(cluster: HugrCluster, values: ReadonlyMap<string, string>): AuthSettings {
  const auth = cluster.spec.auth ?? {};
  const settings: AuthSettings = {
    allowedAnonymous: auth.allowedAnonymous ?? true,
    anonymousRole: auth.anonymousRole ?? "anonymous",
  };
  const secretKey = values.get("spec.auth.secretKeySecretRef");
  if (secretKey !== undefined) settings.secretKey = secretKey;
  const authConfig = values.get("spec.auth.configSecretRef");
  if (authConfig !== undefined) settings.authConfig = authConfig;
  const oidc = oidcSettings(auth.oidc);
  if (oidc) settings.oidc = oidc;
  return settings;
}

/** OIDC settings with hugr's claim defaults; undefined (OIDC off) without an issuer. */
function oidcSettings(oidc: NonNullable<HugrCluster["spec"]["auth"]>["oidc"]): AuthSettings["oidc"] {
  if (!oidc?.issuer) return undefined;
  return {
    issuer: oidc.issuer,
    clientId: oidc.clientId ?? "",
    ...(oidc.cookieName ? { cookieName: oidc.cookieName } : {}),
    usernameClaim: oidc.usernameClaim ?? "name",
    userIdClaim: oidc.userIdClaim ?? "sub",
    roleClaim: oidc.roleClaim ?? "x-hugr-role",
  };
}
