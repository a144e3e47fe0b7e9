import type { CustomObjectsApi } from "@kubernetes/client-node";
import { HUGR_DATA_SOURCE_RESOURCE, type HugrDataSource } from "../../api/v1alpha1/index.js";
import { readResource } from "../common/resources.js";
import { claimOrder, hugrNameOf, resourceNameFor } from "./names.js";

/**
 * The HugrDataSource of cluster `namespace/cluster` that serves the hugr name `name`, read from the
 * API (callers apply its spec back, so it must be the latest); undefined when none does. The
 * resource the mirror would have made (resourceNameFor) is taken when it has that name, as it
 * normally is the only one; failing that, the namespace is listed, since a resource written with
 * kubectl may carry the name in spec.name under any metadata.name, and of several claimants the
 * first (names.ts) is the one.
 */
export async function findDataSource(
  api: CustomObjectsApi,
  query: { namespace: string; cluster: string; name: string },
): Promise<HugrDataSource | undefined> {
  const { namespace, cluster, name } = query;
  const serves = (source: HugrDataSource): boolean =>
    hugrNameOf(source) === name && source.spec.clusterRef.name === cluster;
  const direct = await readResource<HugrDataSource>(api, HUGR_DATA_SOURCE_RESOURCE, {
    namespace,
    name: resourceNameFor(name),
  });
  if (direct && serves(direct)) return direct;
  const list = (await api.listNamespacedCustomObject({ ...HUGR_DATA_SOURCE_RESOURCE, namespace })) as {
    items?: HugrDataSource[];
  };
  return (list.items ?? []).filter(serves).sort(claimOrder)[0];
}
