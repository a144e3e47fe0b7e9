export { API_VERSION, CATEGORY, GROUP, VERSION } from "./common.js";
export type {
  CelRule,
  ClusterRef,
  Condition,
  CustomResource,
  NodeResult,
  ObjectMeta,
  SecretKeyRef,
} from "./common.js";
export {
  HUGR_CLUSTER_KIND,
  HUGR_CLUSTER_NAME_MAX_LENGTH,
  HugrClusterSpecSchema,
  HugrClusterStatusSchema,
} from "./hugrcluster.js";
export type { HugrCluster, HugrClusterSpec, HugrClusterStatus } from "./hugrcluster.js";
export {
  CATALOG_TYPES,
  DATA_SOURCE_NAME,
  DATA_SOURCE_TYPES,
  HUGR_DATA_SOURCE_KIND,
  RELOAD_REQUEST_ANNOTATION,
  HugrDataSourceSpecSchema,
  HugrDataSourceStatusSchema,
} from "./hugrdatasource.js";
export type { HugrDataSource, HugrDataSourceSpec, HugrDataSourceStatus } from "./hugrdatasource.js";
export {
  HUGR_OBJECT_STORAGE_KIND,
  HugrObjectStorageSpecSchema,
  HugrObjectStorageStatusSchema,
} from "./hugrobjectstorage.js";
export type {
  HugrObjectStorage,
  HugrObjectStorageSpec,
  HugrObjectStorageStatus,
} from "./hugrobjectstorage.js";
export {
  crds,
  HUGR_CLUSTER_RESOURCE,
  HUGR_DATA_SOURCE_RESOURCE,
  HUGR_OBJECT_STORAGE_RESOURCE,
  hugrClusterCrd,
  hugrDataSourceCrd,
  hugrObjectStorageCrd,
  toOpenAPISchema,
} from "./crds.js";
export type { CustomResourceDefinition, JSONSchemaProps, PrinterColumn, ResourceType } from "./crds.js";
