import type { Logger } from "@hugr/common";
import type { CoordinationV1Api } from "@kubernetes/client-node";
import type { OperatorConfig } from "../config/index.js";
import {
  createLeaderElector,
  WorkQueue,
  workQueueMetrics,
  type ControllerMetrics,
  type LeaderElector,
} from "../kube/index.js";

export interface LeadershipOptions {
  coordination: CoordinationV1Api;
  config: OperatorConfig;
  logger: Logger;
  metrics: ControllerMetrics;
  /** The controller's name in queue metrics. */
  controller: string;
  /** Runs one term: reconciles from `queue` until it shuts down. */
  lead(queue: WorkQueue): Promise<void>;
  /** Called when a term starts (serve the management API, label the pod). */
  onStarted(): void;
  /** Called when a term ended, after its reconciles finished (stop serving, drop the label). */
  onStopped(): Promise<void>;
}

/** This replica's part in leader election: terms of leadership, each with its own work queue. */
export interface Leadership {
  /** Queues a key while leading; a no-op on a standby (the next leader lists everything anyway). */
  enqueue(key: string): void;
  isLeading(): boolean;
  /** Starts campaigning; without leader election (LEADER_ELECT=false), leads at once. */
  start(): void;
  /** Ends the current term (its reconciles finish) and releases the Lease so a standby takes over. */
  stop(): Promise<void>;
}

/**
 * Leader election as terms. A replica that loses the Lease (it could not renew within the renew
 * deadline: an apiserver restart, a partition) ends its term, finishing the reconciles in flight and
 * stopping every cluster's coordination, and campaigns again; so the process survives control-plane
 * outages instead of exiting, and becomes leader again once it can renew. A work queue lives for one
 * term: its keys are meaningless to the next leader, which lists every HugrCluster again.
 */
export function createLeadership(options: LeadershipOptions): Leadership {
  const { config, logger, metrics } = options;
  let queue: WorkQueue | undefined;
  let workers: Promise<void> | undefined;
  let elector: LeaderElector | undefined;
  let ending: Promise<void> | undefined;
  let stopping = false;

  function startTerm(): void {
    queue = new WorkQueue({ metrics: workQueueMetrics(metrics, options.controller) });
    metrics.leader.set(1);
    logger.info({ identity: config.identity }, "leading: reconciling and serving the management API");
    options.onStarted();
    workers = options.lead(queue);
  }

  async function endTerm(): Promise<void> {
    if (!queue) return;
    const ended = queue;
    queue = undefined;
    metrics.leader.set(0);
    ended.shutDown();
    await workers;
    await options.onStopped();
  }

  function campaign(): void {
    elector = createLeaderElector(options.coordination, {
      namespace: config.namespace,
      name: config.leaderElection.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaderElection.leaseDurationMs,
      renewDeadlineMs: config.leaderElection.renewDeadlineMs,
      retryPeriodMs: config.leaderElection.retryPeriodMs,
      onStartedLeading: startTerm,
      onStoppedLeading: () => {
        if (stopping) return; // release() on shutdown ends the term on purpose
        logger.warn("lost the leader election lease: stepping down, then campaigning again");
        ending = endTerm().then(() => {
          if (!stopping) campaign();
        });
      },
      logger,
    });
    elector.start();
  }

  return {
    enqueue: (key) => queue?.add(key),
    isLeading: () => queue !== undefined,
    start() {
      if (config.leaderElection.enabled) campaign();
      else startTerm();
    },
    async stop() {
      stopping = true;
      await ending;
      await endTerm();
      await elector?.release();
    },
  };
}
