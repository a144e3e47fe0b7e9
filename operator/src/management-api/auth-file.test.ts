import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, readAuthSettings } from "@hugr/common";
import { createManagementClient, type AuthSettings, type ManagementClient } from "@hugr/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManagementConfig } from "../config/index.js";
import { startManagement, type RunningManagement } from "../server.js";
import { watchAuthFile } from "./auth-file.js";

const SECRET = "auth-file-test-secret";
const POLL_MS = 50;
const NODE = { name: "w1", url: "http://127.0.0.1:1", version: "1" };

const keysFile = (header: string): string => `api-keys:\n  ci:\n    key: ci-S3cret\n    header: ${header}\n`;

/** Polls until `read` gives something `done` accepts, for at most 5 s. */
async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

describe("a standalone management node follows its AUTH_CONFIG_FILE", () => {
  let dir: string;
  let file: string;
  let management: RunningManagement;
  let client: ManagementClient;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hugr-auth-watch-"));
    file = join(dir, "auth.yaml");
    await writeFile(file, keysFile("x-ci-key"));
    const config = parseManagementConfig({
      CLUSTER_SECRET: SECRET,
      BIND: "127.0.0.1:0",
      CORE_DB_PATH: "memory://",
      SECRET_KEY: "admin-key",
      AUTH_CONFIG_FILE: file,
    });
    const logger = createLogger("info", "management", { write: (line: string) => lines.push(line) });
    management = await startManagement(config, logger, { authFilePollMs: POLL_MS });
    client = createManagementClient({ baseUrl: management.url, secret: SECRET, timeoutMs: 2_000 });
    // Opening the embedded database takes seconds, more on a busy machine.
  }, 60_000);
  afterAll(async () => {
    await management?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** What the node receives with a heartbeat that reports `version` as applied. */
  const heartbeat = async (version: string) =>
    client.heartbeat(NODE.name, {
      url: NODE.url,
      version: NODE.version,
      ready: true,
      error: "",
      configVersion: version,
    });

  it("sends an edited file with the next heartbeat, keeps the settings when an edit is refused", async () => {
    const registered = await client.register(NODE);
    expect(registered.config.auth.authConfig).toEqual({
      name: file,
      format: "yaml",
      contents: keysFile("x-ci-key"),
    });
    const first = registered.config.version;
    expect((await heartbeat(first)).config).toBeUndefined();

    // An edit: the configuration version changes and the node gets the new file.
    await writeFile(file, keysFile("x-ci-token"));
    const changed = await until(
      () => heartbeat(first),
      (answer) => answer.config !== undefined,
    );
    expect(changed.config?.version).not.toBe(first);
    expect(changed.config?.auth.authConfig?.contents).toBe(keysFile("x-ci-token"));
    expect(changed.config?.auth.secretKey).toBe("admin-key");
    const second = changed.config?.version ?? "";

    // A refused edit (the key on the secret key's header) is logged and changes nothing.
    await writeFile(file, keysFile("x-hugr-secret-key"));
    const refusal = await until(
      () => lines.find((line) => line.includes("auth file refused")),
      (line) => line !== undefined,
    );
    expect(refusal).toContain("api-keys.ci: header x-hugr-secret-key is also read by the secret key");
    expect(refusal).not.toContain("S3cret");
    expect((await heartbeat(second)).config).toBeUndefined();

    // A file replaced by a rename, as editors and ConfigMap mounts do, is seen too.
    const replacement = join(dir, "auth.yaml.new");
    await writeFile(replacement, keysFile("x-ci-other"));
    await rename(replacement, file);
    const replaced = await until(
      () => heartbeat(second),
      (answer) => answer.config !== undefined,
    );
    expect(replaced.config?.auth.authConfig?.contents).toBe(keysFile("x-ci-other"));
  });
});

describe("watchAuthFile", () => {
  it("keeps the settings when the file disappears, and stops polling when told", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hugr-auth-watch-"));
    const file = join(dir, "auth.json");
    await writeFile(file, "{}");
    const settings = readAuthSettings({ AUTH_CONFIG_FILE: file });
    const applied: AuthSettings[] = [];
    const errors: string[] = [];
    const logger = createLogger("info", "test", {
      write: (line: string) => {
        if (line.includes('"level":"error"')) errors.push(line);
      },
    });
    if (!settings.authConfig) throw new Error("no auth file read");
    const watch = watchAuthFile({
      settings: { ...settings, authConfig: settings.authConfig },
      apply: (next) => applied.push(next),
      logger,
      intervalMs: POLL_MS,
    });
    try {
      await rm(file);
      await until(
        () => errors.length,
        (count) => count > 0,
      );
      expect(errors[0]).toContain("cannot be read: ENOENT");
      await writeFile(file, '{"managed_api_keys": true}');
      await until(
        () => applied.length,
        (count) => count > 0,
      );
      expect(applied.map((s) => s.authConfig?.contents)).toEqual(['{"managed_api_keys": true}']);
    } finally {
      watch.stop();
    }
    await writeFile(file, '{"managed_api_keys": false}');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS * 6));
    expect(applied).toHaveLength(1);
    await rm(dir, { recursive: true, force: true });
  });
});
