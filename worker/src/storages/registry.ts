import type { StorageInfo, StorageSpec } from "@hugr/protocol";

/**
 * The object storages this node can read from (S3 and compatible), with their credentials held in
 * memory only. What a storage makes readable comes with the data-source loaders; here it is
 * registered, listed (credentials masked) and removed.
 */
export interface StorageRegistry {
  put(spec: StorageSpec): void;
  /** False when no storage has that name. */
  remove(name: string): boolean;
  get(name: string): StorageSpec | undefined;
  names(): string[];
  /** hugr's registered_storages rows for this node: no credentials. */
  list(): StorageInfo[];
}

const MASK = "***";

export function createStorageRegistry(): StorageRegistry {
  const storages = new Map<string, StorageSpec>();
  return {
    put: (spec) => void storages.set(spec.name, { ...spec }),
    remove: (name) => storages.delete(name),
    get: (name) => storages.get(name),
    names: () => [...storages.keys()].sort(),
    list: () =>
      [...storages.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((spec) => ({
          type: spec.type,
          name: spec.name,
          scope: [spec.scope],
          parameters: describeParameters(spec),
        })),
  };
}

/** The parameters as hugr shows them, credentials replaced by "***". */
function describeParameters(spec: StorageSpec): string {
  return JSON.stringify({
    endpoint: spec.endpoint,
    region: spec.region,
    use_ssl: spec.useSsl,
    url_style: spec.urlStyle,
    url_compatibility: spec.urlCompatibility,
    kms_key_id: spec.kmsKeyId,
    account_id: spec.accountId,
    key_id: MASK,
    secret: MASK,
  });
}
