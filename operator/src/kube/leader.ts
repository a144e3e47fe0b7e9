/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection package: one
 * replica reconciles, the others stand by and take over when the leader releases the Lease (at once)
 * or stops renewing it (after the lease duration).
 *
 * Every `retryPeriodMs` each candidate reads the Lease and decides with {@link decideLeaderAction}:
 * create it, acquire it (free or expired), renew it (ours), wait, or give up. Writes carry the
 * resourceVersion that was read, so when two candidates race for an expired Lease the apiserver
 * answers 409 to the slower one. A leader that has not renewed for `renewDeadlineMs`, counted from the
 * renewTime of its last successful write, stops leading (onStoppedLeading) whatever made its renewals
 * fail, before its Lease can expire at the others (`leaseDurationMs` > `renewDeadlineMs`), so two
 * leaders never overlap as long as the nodes' clocks agree within the difference (5 s by default).
 * Expiry compares the holder's renewTime with this candidate's clock; client-go instead times it from
 * when it saw the Lease last change, which survives any skew but makes a standby that starts after a
 * crash wait a full lease duration even for a Lease that expired long ago.
 *
 * As in client-go the elector is one-shot: once leadership is lost (or released), it stops
 * campaigning; the operator ends its term and campaigns afresh with a new elector
 * (controller-manager/leadership.ts).
 *
 * Written here because @kubernetes/client-node has no leader election.
 */
import {
  Observable,
  V1MicroTime,
  type ConfigurationOptions,
  type CoordinationV1Api,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
} from "@kubernetes/client-node";
import type { Logger } from "@hugr/common";
import { errorSummary, isNotFound, statusCode } from "./apply.js";

/** What the elector does after observing the Lease. */
export type LeaderAction =
  /** No Lease exists: create it, holding it. */
  | "create"
  /** The Lease is free (released) or expired: take it over (leaseTransitions + 1). */
  | "acquire"
  /** The Lease is ours: write a fresh renewTime. */
  | "renew"
  /** Someone else holds a valid Lease: check again after the retry period. */
  | "wait"
  /** We were leading, and another holds the Lease or our renewals failed for the renew deadline. */
  | "lost";

/** The fields of a Lease the decision needs, times in epoch milliseconds. */
export interface ObservedLease {
  /** Empty or undefined: released. */
  holderIdentity?: string;
  renewTimeMs?: number;
  /** The holder's own lease duration; when absent, the candidate's is used. */
  leaseDurationMs?: number;
}

/** Input of {@link decideLeaderAction}. */
export interface LeaderDecisionInput {
  /** The Lease as read; undefined when it does not exist. */
  lease: ObservedLease | undefined;
  now: number;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  /** Whether this candidate currently leads. */
  leading: boolean;
  /**
   * The renewTime of this candidate's last successful write (create, acquire or renew), while leading:
   * when the request was sent, not when it was answered (see {@link write}).
   */
  lastRenewAt?: number;
}

/** Decides what to do about the observed Lease; pure, so every branch is unit-tested. */
export function decideLeaderAction(input: LeaderDecisionInput): LeaderAction {
  const { lease, now, identity, leading } = input;
  if (leading && now - (input.lastRenewAt ?? now) > input.renewDeadlineMs) return "lost";
  if (lease === undefined) return "create";
  const holder = lease.holderIdentity ?? "";
  if (holder === identity) return "renew";
  if (leading) return "lost";
  if (holder === "" || leaseExpired(lease, now, input.leaseDurationMs)) return "acquire";
  return "wait";
}

/** A Lease is expired when its holder has not renewed it for its lease duration. */
export function leaseExpired(lease: ObservedLease, now: number, defaultDurationMs: number): boolean {
  if (lease.renewTimeMs === undefined) return true;
  return lease.renewTimeMs + (lease.leaseDurationMs ?? defaultDurationMs) < now;
}

/** Options of {@link createLeaderElector}. Durations in milliseconds. */
export interface LeaderElectionOptions {
  /** Namespace and name of the Lease. */
  namespace: string;
  name: string;
  /**
   * This candidate's identity: unique per process (the operator uses `<pod name>_<random UUID>`), so
   * a restarted process never renews the term of its predecessor.
   */
  identity: string;
  /** How long a Lease stays valid after its last renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** A leader gives up after failing to renew for this long. Default 10 s; less than leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Period of reads and renewals. Default 2 s. */
  retryPeriodMs?: number;
  /** Called once when this candidate becomes leader: start the controllers. */
  onStartedLeading(): void;
  /** Called once when leadership ends (lost, released or stopped): stop reconciling, or exit. */
  onStoppedLeading(): void;
  logger: Logger;
  /** Clock of the decisions and of the times written. Default `Date.now`. */
  now?: () => number;
}

/** A campaigning candidate; see {@link createLeaderElector}. */
export interface LeaderElector {
  /** Starts campaigning (idempotent). */
  start(): void;
  /** True while leading and the last renewal is within the renew deadline. */
  isLeader(): boolean;
  /**
   * Stops campaigning and, when leading, clears the Lease's holder so a standby takes over at its next
   * retry instead of after the lease duration; then calls onStoppedLeading. For a graceful shutdown.
   * Never throws (a failed release only delays the takeover to the lease's expiry).
   */
  release(): Promise<void>;
  /**
   * Stops campaigning without touching the Lease (as a crash would), calling onStoppedLeading when
   * leading: the standby takes over once the Lease expires.
   */
  stop(): Promise<void>;
}

const DEFAULT_LEASE_DURATION_MS = 15_000;
const DEFAULT_RENEW_DEADLINE_MS = 10_000;
const DEFAULT_RETRY_PERIOD_MS = 2_000;

interface ElectorState {
  started: boolean;
  stopped: boolean;
  leading: boolean;
  lastRenewAt: number | undefined;
  /** Holder last seen, to log changes only. */
  observedHolder: string | undefined;
  /** The running read-decide-write round, awaited before release() writes. */
  round: Promise<void>;
  wakeUp: (() => void) | undefined;
  deadlineTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Elector {
  api: CoordinationV1Api;
  options: Required<Omit<LeaderElectionOptions, "logger">> & { logger: Logger };
  state: ElectorState;
}

/**
 * A leader-election candidate on the Lease `namespace/name`; call start() to campaign. Throws when
 * renewDeadlineMs is not shorter than leaseDurationMs (two leaders could overlap).
 */
export function createLeaderElector(api: CoordinationV1Api, options: LeaderElectionOptions): LeaderElector {
  const elector: Elector = {
    api,
    options: {
      ...options,
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS,
      now: options.now ?? Date.now,
      logger: options.logger.child({
        component: "leader-election",
        lease: `${options.namespace}/${options.name}`,
      }),
    },
    state: {
      started: false,
      stopped: false,
      leading: false,
      lastRenewAt: undefined,
      observedHolder: undefined,
      round: Promise.resolve(),
      wakeUp: undefined,
      deadlineTimer: undefined,
    },
  };
  if (elector.options.renewDeadlineMs >= elector.options.leaseDurationMs) {
    throw new Error("leader election: renewDeadlineMs must be shorter than leaseDurationMs");
  }
  return {
    start: () => start(elector),
    isLeader: () => isLeader(elector),
    release: () => release(elector),
    stop: () => halt(elector),
  };
}

function start(elector: Elector): void {
  const { state } = elector;
  if (state.started || state.stopped) return;
  state.started = true;
  void campaign(elector);
}

function isLeader({ state, options }: Elector): boolean {
  if (!state.leading || state.lastRenewAt === undefined) return false;
  return options.now() - state.lastRenewAt <= options.renewDeadlineMs;
}

/** Rounds every retry period until stopped or leadership is lost. */
async function campaign(elector: Elector): Promise<void> {
  const { state, options } = elector;
  while (!state.stopped) {
    state.round = round(elector).catch((error: unknown) => {
      options.logger.error(errorSummary(error), "leader election round failed");
    });
    await state.round;
    // A round that could not read or write the Lease decides nothing, so check the deadline here too:
    // as in client-go's renew loop, failing renewals of any kind end leadership at the deadline.
    if (state.leading && !isLeader(elector)) lose(elector, "renew deadline passed");
    if (state.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.retryPeriodMs);
      state.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    state.wakeUp = undefined;
  }
}

/** One read-decide-write round; API errors are logged and end the round. */
async function round(elector: Elector): Promise<void> {
  const { api, options, state } = elector;
  let lease: V1Lease | undefined;
  try {
    lease = await bounded(elector, (abortable) =>
      api.readNamespacedLease({ namespace: options.namespace, name: options.name }, abortable),
    );
  } catch (error) {
    if (!isNotFound(error)) {
      options.logger.warn(errorSummary(error), "could not read the lease");
      return;
    }
  }
  if (state.stopped) return;
  const action = decideLeaderAction({
    lease: lease && observe(lease),
    now: options.now(),
    identity: options.identity,
    leaseDurationMs: options.leaseDurationMs,
    renewDeadlineMs: options.renewDeadlineMs,
    leading: state.leading,
    lastRenewAt: state.lastRenewAt,
  });
  await act(elector, action, lease);
}

async function act(elector: Elector, action: LeaderAction, lease: V1Lease | undefined): Promise<void> {
  const { api, options } = elector;
  const stamp = options.now();
  switch (action) {
    case "wait":
      noteHolder(elector, lease?.spec?.holderIdentity ?? "");
      return;
    case "lost":
      lose(elector, `the lease is held by '${lease?.spec?.holderIdentity ?? ""}' or was not renewed in time`);
      return;
    case "create":
      await write(elector, "create", stamp, (abortable) =>
        api.createNamespacedLease(
          { namespace: options.namespace, body: leaseBody(elector, stamp, undefined) },
          abortable,
        ),
      );
      return;
    case "acquire":
    case "renew":
      await write(elector, action, stamp, (abortable) =>
        api.replaceNamespacedLease(
          {
            namespace: options.namespace,
            name: options.name,
            body: leaseBody(elector, stamp, lease, action),
          },
          abortable,
        ),
      );
  }
}

/**
 * Writes the Lease whose renewTime is `stamp`; success makes (or keeps) us leader. A 409 (AlreadyExists
 * on create, Conflict on replace) means another candidate wrote since our read: it won this round.
 *
 * The renew deadline counts from `stamp`, not from the answer: the standbys time the Lease's expiry from
 * the renewTime it carries, so a renewal answered late must not push our step-down past that expiry.
 */
async function write(
  elector: Elector,
  action: "create" | "acquire" | "renew",
  stamp: number,
  send: (abortable: ConfigurationOptions) => Promise<V1Lease>,
): Promise<void> {
  const { options, state } = elector;
  try {
    await bounded(elector, send);
  } catch (error) {
    if (statusCode(error) === 409) {
      options.logger.debug({ action }, "another candidate wrote the lease first");
    } else {
      options.logger.warn({ ...errorSummary(error), action }, "could not write the lease");
    }
    return;
  }
  // A release() or stop() that ran meanwhile wins: do not start leading after it.
  if (state.stopped) return;
  if (options.now() - stamp > options.renewDeadlineMs) {
    // Answered too late to count: leading, we step down; standing by, we do not start (the next round
    // renews the Lease we now hold, and leads if that renewal is answered in time).
    options.logger.warn({ action }, "the lease write was answered after the renew deadline");
    lose(elector, "renew deadline passed");
    return;
  }
  state.lastRenewAt = stamp;
  armDeadline(elector);
  if (!state.leading) becomeLeader(elector, action);
}

/** The Lease to write: ours, renewed now; on acquire with a new acquireTime and one more transition. */
function leaseBody(
  elector: Elector,
  stamp: number,
  observed: V1Lease | undefined,
  action?: "acquire" | "renew",
): V1Lease {
  const { options } = elector;
  const now = new V1MicroTime(stamp);
  const renew = action === "renew";
  const spec = observed?.spec ?? {};
  const transitions = observed === undefined ? 0 : (spec.leaseTransitions ?? 0) + (renew ? 0 : 1);
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    // The observed metadata carries the resourceVersion that makes the write conditional.
    metadata: { ...observed?.metadata, name: options.name, namespace: options.namespace },
    spec: {
      holderIdentity: options.identity,
      leaseDurationSeconds: Math.ceil(options.leaseDurationMs / 1000),
      acquireTime: renew && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: transitions,
    },
  };
}

function becomeLeader(elector: Elector, action: string): void {
  const { options, state } = elector;
  state.leading = true;
  state.observedHolder = options.identity;
  options.logger.info({ identity: options.identity, action }, "became leader");
  callSafely(elector, "onStartedLeading", options.onStartedLeading);
}

/** Leadership ends: stop campaigning and tell the operator. */
function lose(elector: Elector, why: string): void {
  const { options, state } = elector;
  if (!state.leading) return;
  options.logger.warn({ identity: options.identity, why }, "lost leadership");
  endLeadership(elector);
  stopCampaign(elector);
}

function endLeadership(elector: Elector): void {
  const { options, state } = elector;
  state.leading = false;
  state.lastRenewAt = undefined;
  clearTimeout(state.deadlineTimer);
  state.deadlineTimer = undefined;
  callSafely(elector, "onStoppedLeading", options.onStoppedLeading);
}

/**
 * Gives up leadership renewDeadlineMs after the last successful write, even while a round hangs on an
 * unanswered request (the rounds alone would notice only when that request settles).
 *
 * The timer runs on the event loop's monotonic millisecond clock, the deadline on `options.now()`
 * (Date.now): both truncated to whole milliseconds from different origins, so a timer armed for the
 * remaining time + 1 ms can still fire while `now() - lastRenewAt` equals the deadline exactly (measured:
 * 2-8 % of 3001 ms timers). Such an early firing re-arms for what is left by `now()`; before, it was
 * dropped, and a leader whose every request failed (an apiserver outage) never stepped down until a read
 * succeeded again, while a standby could already acquire.
 */
function armDeadline(elector: Elector): void {
  const { options, state } = elector;
  clearTimeout(state.deadlineTimer);
  state.deadlineTimer = undefined;
  if (state.lastRenewAt === undefined) return;
  const remaining = state.lastRenewAt + options.renewDeadlineMs - options.now();
  state.deadlineTimer = setTimeout(
    () => {
      state.deadlineTimer = undefined;
      if (!state.leading) return;
      if (isLeader(elector)) armDeadline(elector);
      else lose(elector, "renew deadline passed");
    },
    Math.max(remaining, 0) + 1,
  );
}

function noteHolder(elector: Elector, holder: string): void {
  const { options, state } = elector;
  if (holder === state.observedHolder) return;
  state.observedHolder = holder;
  options.logger.info({ holder }, "lease held by another candidate; standing by");
}

function stopCampaign({ state }: Elector): void {
  state.stopped = true;
  state.wakeUp?.();
}

async function halt(elector: Elector): Promise<void> {
  const { state } = elector;
  stopCampaign(elector);
  await state.round;
  if (state.leading) endLeadership(elector);
}

async function release(elector: Elector): Promise<void> {
  const { api, options, state } = elector;
  stopCampaign(elector);
  await state.round;
  if (!state.leading) return;
  try {
    const lease = await bounded(elector, (abortable) =>
      api.readNamespacedLease({ namespace: options.namespace, name: options.name }, abortable),
    );
    if (lease.spec?.holderIdentity === options.identity) {
      const spec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 };
      await bounded(elector, (abortable) =>
        api.replaceNamespacedLease(
          { namespace: options.namespace, name: options.name, body: { ...lease, spec } },
          abortable,
        ),
      );
      options.logger.info({ identity: options.identity }, "released the lease");
    }
  } catch (error) {
    options.logger.warn(
      errorSummary(error),
      "could not release the lease; a standby takes over when it expires",
    );
  }
  endLeadership(elector);
}

/**
 * `send()`, aborted with a timeout error once the renew deadline has passed without an answer
 * (client-go gives each attempt the renew deadline too). A request that hangs would otherwise hold its
 * round, and release() and stop() that wait for it, for as long as the connection stays silent; the
 * deadline timer has stepped down by then.
 */
async function bounded<T>(
  elector: Elector,
  send: (abortable: ConfigurationOptions) => Promise<T>,
): Promise<T> {
  const ms = elector.options.renewDeadlineMs;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer from the apiserver within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  // client-node passes a request context's signal to fetch: a middleware sets ours on each request.
  const abortable: ConfigurationOptions = {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(controller.signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
  try {
    return await Promise.race([send(abortable), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The decision's view of a Lease read from the apiserver. */
function observe(lease: V1Lease): ObservedLease {
  const spec = lease.spec ?? {};
  // client-node hands MicroTime fields back as the string the server sent, whatever their declared type.
  const renewed = spec.renewTime === undefined ? NaN : new Date(spec.renewTime).getTime();
  return {
    holderIdentity: spec.holderIdentity ?? "",
    ...(Number.isNaN(renewed) ? {} : { renewTimeMs: renewed }),
    ...(spec.leaseDurationSeconds ? { leaseDurationMs: spec.leaseDurationSeconds * 1000 } : {}),
  };
}

function callSafely(elector: Elector, name: string, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    elector.options.logger.error(
      { ...errorSummary(error), callback: name },
      "leader election callback threw",
    );
  }
}
