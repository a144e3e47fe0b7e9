/**
 * What a scenario needs from the environment it runs in. Two drivers implement it: the envtest one
 * (e2e/scenarios/envtest.ts: a real kube-apiserver, the operator and work nodes as local processes) and
 * the kind one (e2e/kind/run-scenarios.ts: a kind cluster, the real kubectl, a port-forward to the
 * workers' Service). Scenarios see nothing else, so both suites run exactly the same steps.
 */

/** What a kubectl run gave: its exit code and its output. Never throws for a non-zero code. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A GraphQL response body, as a work node answers it, with the response's HTTP status. */
export interface GraphQLResult {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  /** The HTTP status (401 for a bad credential, 403 for a role that may not ask). */
  status?: number;
}

/** Who sends a GraphQL request, and to which work node. */
export interface GraphQLRequest {
  /**
   * The request's headers instead of the cluster admin's credential (the secret key of the Secret
   * AUTH_SECRET the environment gave the HugrCluster): `{}` sends an anonymous request.
   */
  headers?: Record<string, string>;
  /** The work node (its name, the pod's) to send it to; by default any node of the cluster. */
  node?: string;
}

export interface ScenarioDriver {
  /** Runs kubectl against the cluster as an admin; `input` is its standard input. */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /**
   * Sends a GraphQL request to a work node of the cluster (POST /graphql), as the cluster's admin
   * (the secret key header) unless `request` gives other headers.
   */
  graphql(
    query: string,
    variables?: Record<string, unknown>,
    request?: GraphQLRequest,
  ): Promise<GraphQLResult>;
  /** The namespace of the HugrCluster and of every resource the scenarios create. */
  namespace: string;
  /** The HugrCluster's name. */
  clusterName: string;
  /** The HugrCluster's spec.replicas: how many work nodes register and serve. */
  replicas: number;
  /**
   * A PostgreSQL connection string, without credentials, of a database every work node reaches, holding
   * the table `events` and its rows (events-source.ts): the `path` of the data sources the scenarios
   * create.
   */
  dataSourcePath: string;
  /** How long one convergence (a resource reaching Ready, a deletion) may take. */
  timeoutMs: number;
  /** Polls `probe` until it resolves true; resolves with the time it took, rejects naming `what`. */
  eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number>;
  /** Everything the operator and the work nodes logged so far, when the driver can read it. */
  logs?(): Promise<string>;
  /** Progress lines; silent when absent. */
  log?(message: string): void;
}

/** One end-to-end scenario: plain node:assert/strict inside, so it runs under vitest and a tsx script. */
export interface Scenario {
  name: string;
  run(driver: ScenarioDriver): Promise<void>;
}
