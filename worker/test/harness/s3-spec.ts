/**
 * Test fixture: S3 storage specs. Starts no server and imports no harness, so unit tests may use it
 * too (harness/s3.ts builds the specs of its server on it).
 */
import type { StorageSpec } from "@hugr/protocol";

/** What an s3 spec must be told: its name, scope, account and endpoint (anything else may be overridden). */
export type S3SpecFields = Pick<StorageSpec, "name" | "scope" | "key" | "secret" | "endpoint"> &
  Partial<StorageSpec>;

/** An s3 storage spec over plain HTTP, path-style, with no region, KMS key or account id unless `fields` say. */
export function s3Spec(fields: S3SpecFields): StorageSpec {
  return {
    type: "s3",
    region: "",
    useSsl: false,
    urlStyle: "path",
    urlCompatibility: false,
    kmsKeyId: "",
    accountId: "",
    ...fields,
  };
}
