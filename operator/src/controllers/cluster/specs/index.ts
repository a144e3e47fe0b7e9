export {
  buildClusterSecret,
  buildWorkerConfigMap,
  buildWorkerSecret,
  CONFIG_CHECKSUM_ANNOTATION,
  configChecksum,
  generateClusterSecretValue,
} from "./config.js";
export type { WorkerInputs } from "./config.js";
export { buildDeployment, DEFAULT_REPLICAS } from "./deployment.js";
export { buildHpa } from "./hpa.js";
export {
  CLUSTER_SECRET_KEY,
  clusterSecretName,
  headlessServiceName,
  LABEL_NAME,
  selectorLabels,
  selectorString,
  WORKER_PORT,
  workerConfigName,
  workerLabels,
} from "./names.js";
export { ownerReference } from "./owner.js";
export { buildPdb } from "./pdb.js";
export { buildHeadlessService, buildService } from "./services.js";
