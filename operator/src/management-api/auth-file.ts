import { unwatchFile, watchFile, type Stats } from "node:fs";
import { buildAuthPolicy, readAuthConfigFile, type Logger } from "@hugr/common";
import type { AuthConfigFile, AuthSettings } from "@hugr/protocol";

/**
 * A standalone management node follows its AUTH_CONFIG_FILE: an edited file is read again, checked
 * as work nodes will enforce it, and applied to the cluster's desired state, whose content version
 * then changes, so every node receives it with its next heartbeat answer. A file that cannot be read
 * or is refused is logged (naming the key at fault, never a secret) and the previous settings stay.
 *
 * The file is polled (fs.watchFile): unlike fs.watch it follows the path, not the inode, so editors
 * and ConfigMap mounts that replace the file rather than write it in place are seen too. A change is
 * read once the file has stayed the same for one polling interval.
 */
export interface AuthFileWatchOptions {
  /**
   * The settings in force: the environment's, with the auth file as read at start. Its
   * `authConfig.name` is AUTH_CONFIG_FILE's path (readAuthSettings).
   */
  settings: AuthSettings & { authConfig: AuthConfigFile };
  /** Applies new settings (the cluster service's setAuth). */
  apply(settings: AuthSettings): void;
  logger: Logger;
  /** Polling interval, default 2 s. */
  intervalMs?: number;
}

export interface AuthFileWatch {
  /** Stops polling (on shutdown). */
  stop(): void;
}

const DEFAULT_INTERVAL_MS = 2_000;

export function watchAuthFile(options: AuthFileWatchOptions): AuthFileWatch {
  const { logger } = options;
  const path = options.settings.authConfig.name;
  let current: AuthSettings = options.settings;

  function reload(): void {
    let file: AuthConfigFile;
    try {
      file = readAuthConfigFile(path);
    } catch (error) {
      logger.error(
        { file: path, error: (error as Error).message },
        "auth file: keeping the previous settings",
      );
      return;
    }
    if (file.contents === current.authConfig?.contents) return;
    const next: AuthSettings = { ...current, authConfig: file };
    try {
      const policy = buildAuthPolicy(next);
      for (const warning of policy.warnings ?? []) logger.warn({ file: path }, warning);
    } catch (error) {
      logger.error(
        { file: path, error: (error as Error).message },
        "auth file refused: keeping the previous settings",
      );
      return;
    }
    current = next;
    options.apply(next);
    logger.info(
      { file: path },
      "auth file changed: nodes receive the new settings with their next heartbeat",
    );
  }

  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  let settling: NodeJS.Timeout | undefined;
  // A file written in place can be polled mid-write (truncated, or half written): it is read once it
  // stayed the same for one interval, so a half-written file is never applied.
  const listener = (now: Stats, before: Stats): void => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    clearTimeout(settling);
    settling = setTimeout(reload, intervalMs);
    settling.unref();
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return {
    stop() {
      unwatchFile(path, listener);
      clearTimeout(settling);
    },
  };
}
