import { createHash, timingSafeEqual } from "node:crypto";

/**
 * A configured secret (the secret key, a static API key) kept as its SHA-256 digest. A presented
 * value is digested and compared with timingSafeEqual: equal lengths always, so neither the
 * secret's content nor its length leaks through the comparison's timing.
 */
export class Secret {
  readonly #digest: Buffer;

  constructor(value: string) {
    this.#digest = digest(value);
  }

  matches(presented: Buffer): boolean {
    return timingSafeEqual(this.#digest, presented);
  }
}

export function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
