/** Where a storage failure happened: never credentials, only what an operator needs to find it. */
export interface StorageErrorDetails {
  /** The registered storage's name; undefined when no storage covers the URL. */
  storage: string | undefined;
  /** The `s3://bucket/key` URL being read or listed. */
  url: string;
  /** HTTP status of the storage's answer, when it answered. */
  status?: number;
  /** S3's error code from the answer's XML body (NoSuchKey, AccessDenied, SignatureDoesNotMatch...). */
  code?: string;
}

/** An object that cannot be read, listed or cached, with the storage and URL in the message. */
export class StorageError extends Error {
  readonly storage: string | undefined;
  readonly url: string;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, details: StorageErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
    this.storage = details.storage;
    this.url = details.url;
    this.status = details.status;
    this.code = details.code;
  }
}
