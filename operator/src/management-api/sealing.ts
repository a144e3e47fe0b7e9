import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Seals storage credentials for the core database with AES-256-GCM under a key derived (HKDF-SHA256)
 * from the cluster secret: a database dump alone does not reveal them. Written by hand because it is
 * a dozen lines over node:crypto; no library adds anything here.
 */
export interface Sealer {
  seal(plain: string): string;
  /** Throws when the value was sealed under another cluster secret or was tampered with. */
  open(sealed: string): string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSealer(clusterSecret: string): Sealer {
  const key = Buffer.from(hkdfSync("sha256", clusterSecret, "hugr", "hugr storage credentials v1", 32));
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    },
    open(sealed) {
      const raw = Buffer.from(sealed, "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}
