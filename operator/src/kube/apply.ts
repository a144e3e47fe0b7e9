/**
 * Writing to the apiserver: server-side apply with the operator's one field manager, status patches
 * that happen only when the status changed, create-if-absent, and the error predicates every caller
 * needs to tell "not there" and "someone else was faster" from real failures.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type CustomObjectsApi,
  type KubernetesObject,
  type KubernetesObjectApi,
} from "@kubernetes/client-node";

/**
 * The field manager of everything the operator applies. One manager for every object means that a
 * field the operator stops setting is removed by the next apply, and that fields set by others
 * (the HPA's `replicas` through /scale, a user's annotations) are left alone.
 */
export const FIELD_MANAGER = "hugr-operator";

/**
 * Server-side applies `obj` (which must carry apiVersion, kind, metadata.name and, when namespaced,
 * metadata.namespace) as {@link FIELD_MANAGER} with force, and resolves with the object the server
 * stored.
 *
 * Force takes over fields another manager set (for example after `kubectl edit`): the operator is the
 * source of truth for what it applies. Applying the same content again is a no-op on the server (the
 * resourceVersion does not change), so appliers need not compare before applying. Do not put
 * `metadata.resourceVersion` or `managedFields` in `obj`, and leave out fields another controller owns
 * (a Deployment's `replicas` while an HPA scales it): an omitted field that the operator never applied
 * is not touched.
 */
export async function applyObject<T extends KubernetesObject>(api: KubernetesObjectApi, obj: T): Promise<T> {
  return api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/**
 * Creates `obj`, or, when an object of that name already exists, reads and returns the existing one
 * unchanged. For objects whose content must be decided once (a generated secret) rather than kept
 * in sync; use {@link applyObject} for everything else.
 */
export async function createIfAbsent<T extends KubernetesObject>(
  api: KubernetesObjectApi,
  obj: T,
): Promise<T> {
  try {
    return await api.create(obj);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  const { apiVersion, kind, metadata } = obj;
  if (!apiVersion || !kind || !metadata?.name) {
    throw new Error("createIfAbsent needs apiVersion, kind and metadata.name to read the existing object");
  }
  return api.read<T>({ apiVersion, kind, metadata: { name: metadata.name, namespace: metadata.namespace } });
}

/** A condition as the apiserver stores it (metav1.Condition). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/** A status with optional metav1 conditions; anything else in it is compared as plain data. */
export interface StatusWithConditions {
  conditions?: Condition[];
  [field: string]: unknown;
}

/**
 * True when writing `desired` would change what `current` says. Conditions are compared by
 * type/status/reason/message/observedGeneration, whatever their order, and `lastTransitionTime` is
 * ignored: a reconcile that rebuilds the same conditions with a fresh clock must not write the status
 * (each write is a watch event, a new reconcile and, without this, a loop). Fields that are
 * `undefined` count as absent.
 */
export function statusChanged(
  current: StatusWithConditions | undefined,
  desired: StatusWithConditions | undefined,
): boolean {
  return !deepEqual(comparable(current ?? {}), comparable(desired ?? {}));
}

/**
 * `desired`'s conditions with the `lastTransitionTime` of `current`'s condition of the same type when
 * its status did not change, and `now` for new or changed ones, as metav1's SetStatusCondition does:
 * the time says when the condition last changed status, not when it was last computed.
 */
export function preserveTransitionTimes(
  current: readonly Condition[] | undefined,
  desired: readonly Condition[],
  now: Date,
): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  return desired.map((condition) => {
    const previous = byType.get(condition.type);
    const unchanged = previous !== undefined && previous.status === condition.status;
    const time = unchanged ? previous.lastTransitionTime : undefined;
    return { ...condition, lastTransitionTime: time ?? condition.lastTransitionTime ?? rfc3339(now) };
  });
}

/** Which custom resource a status belongs to. */
export interface CustomResourceType {
  group: string;
  version: string;
  kind: string;
  /** The resource name in URLs, e.g. `hugrclusters`. */
  plural: string;
}

/** The parts of an observed custom resource that {@link patchStatus} reads. */
export interface ObservedResource<S> {
  metadata?: { name?: string; namespace?: string };
  status?: S;
}

/**
 * Writes `desired` to the /status subresource of the namespaced custom resource `observed`, only when
 * {@link statusChanged} says it differs from `observed.status`; resolves true when it wrote.
 *
 * The write is a server-side apply of the whole status as {@link FIELD_MANAGER} with force: the
 * operator owns its CRs' status, so fields it no longer sets disappear, and no resourceVersion is sent,
 * so there is no conflict to retry (a status computed from a stale read is corrected by the reconcile
 * that the newer event triggers). Condition times are carried over with
 * {@link preserveTransitionTimes}.
 */
export async function patchStatus<S extends StatusWithConditions>(
  api: CustomObjectsApi,
  type: CustomResourceType,
  observed: ObservedResource<S>,
  desired: S,
): Promise<boolean> {
  if (!statusChanged(observed.status, desired)) return false;
  const name = observed.metadata?.name;
  const namespace = observed.metadata?.namespace;
  if (!name || !namespace) throw new Error(`patchStatus of a ${type.kind} needs its name and namespace`);
  const status = desired.conditions
    ? {
        ...desired,
        conditions: preserveTransitionTimes(observed.status?.conditions, desired.conditions, new Date()),
      }
    : desired;
  const body = {
    apiVersion: `${type.group}/${type.version}`,
    kind: type.kind,
    metadata: { name, namespace },
    status,
  };
  await api.patchNamespacedCustomObjectStatus(
    { ...type, namespace, name, body, fieldManager: FIELD_MANAGER, force: true },
    setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
  );
  return true;
}

/**
 * The HTTP status of an apiserver error: `code` of client-node 2.x's ApiException, `statusCode` of its
 * Watch errors; undefined for anything else (a network error's `code` is a string, not a status).
 */
export function statusCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, statusCode: watchCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === "number") return code;
  return typeof watchCode === "number" ? watchCode : undefined;
}

/** The Status object an apiserver error carries in its body, if it carries one. */
function statusOf(error: unknown): { reason?: unknown; message?: unknown } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  let body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined; // not a Status: an HTML error page from a proxy, say
    }
  }
  return typeof body === "object" && body !== null ? body : undefined;
}

/** The `reason` of the Status object an apiserver error carries (e.g. `AlreadyExists`), if any. */
export function statusReason(error: unknown): string | undefined {
  const reason = statusOf(error)?.reason;
  return typeof reason === "string" ? reason : undefined;
}

/** 404: the object (or its namespace, or its kind) does not exist. */
export function isNotFound(error: unknown): boolean {
  return statusCode(error) === 404;
}

/**
 * 409 from an update with a stale resourceVersion: someone else wrote first; re-read and decide again.
 * A 409 whose Status has no reason counts as both this and {@link isAlreadyExists}; the verb tells them
 * apart.
 */
export function isConflict(error: unknown): boolean {
  return statusCode(error) === 409 && statusReason(error) !== "AlreadyExists";
}

/** 409 from a create: an object of that name exists already. */
export function isAlreadyExists(error: unknown): boolean {
  return statusCode(error) === 409 && statusReason(error) !== "Conflict";
}

/**
 * What to log about an error: its HTTP status (or network code), the Status reason and a short
 * message, never the error object. client-node's ApiException message embeds the response body and
 * headers, and a request error can carry the request; so for apiserver errors only the Status's own
 * message is kept, which names objects and verbs, not their data.
 */
export function errorSummary(error: unknown): { code?: number | string; reason?: string; error: string } {
  const code = statusCode(error);
  if (code !== undefined) {
    const message = statusOf(error)?.message;
    const reason = statusReason(error);
    const text = typeof message === "string" ? message : `HTTP ${code}`;
    return { code, ...(reason ? { reason } : {}), error: shorten(text) };
  }
  const message = error instanceof Error ? error.message : String(error);
  const networkCode = (error as { code?: unknown } | null)?.code;
  return typeof networkCode === "string"
    ? { code: networkCode, error: shorten(message) }
    : { error: shorten(message) };
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

/** A comparable copy of a status: conditions reduced to what matters, sorted by type. */
function comparable(status: StatusWithConditions): unknown {
  const { conditions, ...rest } = status;
  if (conditions === undefined) return rest;
  const reduced = conditions
    .map(({ type, status: value, reason, message, observedGeneration }) => ({
      type,
      status: value,
      reason,
      message,
      observedGeneration,
    }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { ...rest, conditions: reduced };
}

/** Structural equality of JSON-like data; object keys whose value is undefined count as absent. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && arraysEqual(a, b);
  }
  return objectsEqual(a as Record<string, unknown>, b as Record<string, unknown>);
}

function arraysEqual(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
}

function objectsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const left = definedEntries(a);
  const right = definedEntries(b);
  if (left.size !== right.size) return false;
  for (const [key, value] of left) if (!right.has(key) || !deepEqual(value, right.get(key))) return false;
  return true;
}

function definedEntries(object: Record<string, unknown>): Map<string, unknown> {
  return new Map(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
