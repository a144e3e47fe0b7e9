import {
  authConfigFormat,
  buildAuthPolicy,
  checkDuration,
  ConfigError,
  DEFAULT_OIDC_TIMEOUT_MS,
  DEFAULT_SCOPE_ROLE_PREFIX,
} from "@hugr/common";
import type { AuthConfigFile, AuthSettings } from "@hugr/protocol";
import type { HugrCluster, SecretKeyRef } from "../../api/v1alpha1/index.js";
import { clusterPath, type ClusterSettings } from "../../management-api/index.js";
import { CLUSTER_SECRET_KEY, clusterSecretName, type WorkerInputs } from "./specs/index.js";

/** Decoded data of the Secrets a cluster references, by Secret name; undefined: no such Secret. */
export type SecretData = ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;

/** What a HugrCluster needs from its Secrets, resolved: the workers' inputs and the coordination's settings. */
export type Resolution =
  | { ok: true; inputs: WorkerInputs; settings: ClusterSettings }
  | { ok: false; reason: "SecretNotFound" | "SecretKeyNotFound" | "InvalidAuthConfig"; message: string };

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
 * naming the field and the Secret, never a value. The authentication settings are then checked as
 * the workers will enforce them (buildAuthPolicy): a bad auth file is InvalidAuthConfig, naming the
 * field and the file's key at fault, and the cluster keeps the settings it had.
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
  const auth = authSettings(cluster, values);
  if (!auth.ok) return { ok: false, reason: "InvalidAuthConfig", message: auth.message };
  return { ok: true, ...resolved(cluster, values, managementUrl, auth.settings) };
}

function resolved(
  cluster: HugrCluster,
  values: ReadonlyMap<string, string>,
  managementUrl: string,
  auth: AuthSettings,
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
      auth,
    },
  };
}

/** The base URL a cluster's workers are given: the operator's, plus the cluster's own prefix. */
export function clusterManagementUrl(operatorUrl: string, cluster: HugrCluster): string {
  const { namespace = "", name = "" } = cluster.metadata;
  return `${operatorUrl.replace(/\/+$/, "")}${clusterPath(namespace, name)}`;
}

type AuthSpec = NonNullable<HugrCluster["spec"]["auth"]>;
type AuthResolution = { ok: true; settings: AuthSettings } | { ok: false; message: string };

const CONFIG_FIELD = "spec.auth.configSecretRef";
const SECRET_KEY_FIELD = "spec.auth.secretKeySecretRef";

/**
 * The authentication settings every node of the cluster receives at registration, checked as the
 * workers will enforce them. The auth file's format comes from its Secret key's extension, as
 * AUTH_CONFIG_FILE's does from the file name.
 */
function authSettings(cluster: HugrCluster, values: ReadonlyMap<string, string>): AuthResolution {
  const auth = cluster.spec.auth ?? {};
  const settings: AuthSettings = { allowedAnonymous: auth.allowedAnonymous ?? true };
  if (auth.anonymousRole) settings.anonymousRole = auth.anonymousRole;
  const secretKey = values.get(SECRET_KEY_FIELD);
  if (secretKey !== undefined) settings.secretKey = secretKey;
  if (auth.managedApiKeys === true) settings.managedApiKeys = true;
  const file = authFile(auth.configSecretRef, values.get(CONFIG_FIELD));
  if (typeof file === "string") return { ok: false, message: file };
  if (file) settings.authConfig = file;
  const oidc = oidcSettings(auth.oidc);
  if (typeof oidc === "string") return { ok: false, message: oidc };
  if (oidc) settings.oidc = oidc;
  try {
    buildAuthPolicy(settings);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, message: authProblem(error, auth) };
  }
  return { ok: true, settings };
}

/** The auth file from its Secret, its format from the key's extension; a message when it has none. */
function authFile(
  ref: SecretKeyRef | undefined,
  contents: string | undefined,
): AuthConfigFile | string | undefined {
  if (!ref || contents === undefined) return undefined;
  const format = authConfigFormat(ref.key);
  if (format === undefined) {
    return `${CONFIG_FIELD}: the key '${ref.key}' must end in .yaml, .yml or .json: its extension says how the auth file is read, as AUTH_CONFIG_FILE's does`;
  }
  return { name: `Secret '${ref.name}', key '${ref.key}'`, format, contents };
}

/** A ConfigError of the settings, re-phrased with the spec's field for the variable it names. */
function authProblem(error: ConfigError, auth: AuthSpec): string {
  const problem = error.message.slice(error.variable.length + 2);
  const secret = (field: string, ref: SecretKeyRef | undefined): string =>
    ref ? `${field} (Secret '${ref.name}', key '${ref.key}')` : field;
  const fields: Record<string, string> = {
    AUTH_CONFIG_FILE: secret(CONFIG_FIELD, auth.configSecretRef),
    SECRET_KEY: secret(SECRET_KEY_FIELD, auth.secretKeySecretRef),
    ANONYMOUS_ROLE: "spec.auth.anonymousRole",
    OIDC_ISSUER: "spec.auth.oidc.issuer",
    OIDC_CLIENT_ID: "spec.auth.oidc.clientId",
    OIDC_TIMEOUT: "spec.auth.oidc.timeout",
  };
  return `${fields[error.variable] ?? "spec.auth"}: ${problem}`;
}

/**
 * OIDC settings with hugr's claim defaults; undefined (OIDC off) without an issuer; a message when
 * the timeout is no usable duration.
 */
function oidcSettings(oidc: AuthSpec["oidc"]): AuthSettings["oidc"] | string {
  if (!oidc?.issuer) return undefined;
  const timeoutMs = oidcTimeout(oidc.timeout);
  if (typeof timeoutMs === "string") return timeoutMs;
  return {
    issuer: oidc.issuer,
    clientId: oidc.clientId ?? "",
    ...(oidc.cookieName ? { cookieName: oidc.cookieName } : {}),
    scopeRolePrefix: oidc.scopeRolePrefix || DEFAULT_SCOPE_ROLE_PREFIX,
    usernameClaim: oidc.usernameClaim ?? "name",
    userIdClaim: oidc.userIdClaim ?? "sub",
    roleClaim: oidc.roleClaim ?? "x-hugr-role",
    timeoutMs,
    tlsInsecure: oidc.tlsInsecure ?? false,
  };
}

/** spec.auth.oidc.timeout in milliseconds (the schema checks its form, not its value). */
function oidcTimeout(value: string | undefined): number | string {
  if (value === undefined) return DEFAULT_OIDC_TIMEOUT_MS;
  const timeout = checkDuration(value);
  if (timeout.ok && timeout.ms > 0) return timeout.ms;
  const why = timeout.ok ? "" : ` (${timeout.problem})`;
  return `spec.auth.oidc.timeout: must be a duration greater than zero such as "10s"${why}`;
}
