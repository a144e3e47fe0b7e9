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

/** A controller as a term runs it. */
export interface Controller {
  /** Its name in logs and metrics, e.g. "hugrcluster". */
  name: string;
  /** Runs one term: reconciles from `queue` until it shuts down. */
  run(queue: WorkQueue): Promise<void>;
}

export interface LeadershipOptions {
  coordination: CoordinationV1Api;
  config: OperatorConfig;
  logger: Logger;
  metrics: ControllerMetrics;
}

/** What each term runs. */
export interface Terms {
  controllers: readonly Controller[];
  /** Called when a term starts (serve the management API, label the pod). */
  onStarted(): void;
  /** Called when a term ended, after its reconciles finished (stop serving, drop the label). */
  onStopped(): Promise<void>;
}

/** This replica's part in leader election: terms of leadership, each with its own work queue. */
export interface Leadership {
  /**
   * Queues a key for a controller while leading; a no-op on a standby (the next leader lists
   * everything anyway).
   */
  enqueue(controller: string, key: string): void;
  isLeading(): boolean;
  /**
   * Starts campaigning; without leader election (LEADER_ELECT=false), leads at once. Until then
   * `enqueue` is a no-op, so the informers can feed it before the controllers exist.
   */
  start(terms: Terms): void;
  /** Ends the current term (its reconciles finish) and releases the Lease so a standby takes over. */
  stop(): Promise<void>;
}

/**
 * Leader election as terms. A replica that loses the Lease (it could not renew within the renew
 * deadline: an apiserver restart, a partition) ends its term, finishing the reconciles in flight and
 * stopping every cluster's coordination, and campaigns again; so the process survives control-plane
 * outages instead of exiting, and becomes leader again once it can renew. Work queues (one per
 * controller) live for one term: their keys are meaningless to the next leader, which lists every
 * resource again.
 */
export function createLeadership(options: LeadershipOptions): Leadership {
  const { config, logger, metrics } = options;
  let started: Terms | undefined;
  let queues: Map<string, WorkQueue> | undefined;
  let workers: Promise<unknown> | undefined;
  let elector: LeaderElector | undefined;
  let ending: Promise<void> | undefined;
  let stopping = false;

  function startTerm(terms: Terms): void {
    const { controllers } = terms;
    const term = new Map(
      controllers.map((c) => [c.name, new WorkQueue({ metrics: workQueueMetrics(metrics, c.name) })]),
    );
    queues = term;
    metrics.leader.set(1);
    logger.info({ identity: config.identity }, "leading: reconciling and serving the management API");
    terms.onStarted();
    workers = Promise.all(controllers.map((c) => c.run(term.get(c.name) as WorkQueue)));
  }

  async function endTerm(terms: Terms): Promise<void> {
    if (!queues) return;
    const ended = queues;
    queues = undefined;
    metrics.leader.set(0);
    for (const queue of ended.values()) queue.shutDown();
    await workers;
    await terms.onStopped();
  }

  function campaign(terms: Terms): void {
    elector = createLeaderElector(options.coordination, {
      namespace: config.namespace,
      name: config.leaderElection.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaderElection.leaseDurationMs,
      renewDeadlineMs: config.leaderElection.renewDeadlineMs,
      retryPeriodMs: config.leaderElection.retryPeriodMs,
      onStartedLeading: () => startTerm(terms),
      onStoppedLeading: () => {
        if (stopping) return; // release() on shutdown ends the term on purpose
        logger.warn("lost the leader election lease: stepping down, then campaigning again");
        ending = endTerm(terms).then(() => {
          if (!stopping) campaign(terms);
        });
      },
      logger,
    });
    elector.start();
  }

  return {
    enqueue: (controller, key) => queues?.get(controller)?.add(key),
    isLeading: () => queues !== undefined,
    start(terms) {
      started = terms;
      if (config.leaderElection.enabled) campaign(terms);
      else startTerm(terms);
    },
    async stop() {
      stopping = true;
      await ending;
      if (started) await endTerm(started);
      await elector?.release();
    },
  };
}
