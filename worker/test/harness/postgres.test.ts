import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startPostgres } from "./postgres.js";

/** Runs `select 1` on `url` and returns the value. */
async function selectOne(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ one: number }[]>`select 1 as one`;
    return rows[0]!.one;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe("startPostgres", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("starts a private server, creates databases, and removes everything on stop", async () => {
    const pg = await startPostgres();
    try {
      expect(pg.url).toBe(`postgres://hugr@127.0.0.1:${pg.port}/hugr_core`);
      expect(existsSync(pg.dataDir)).toBe(true);
      expect(await selectOne(pg.url)).toBe(1);

      const otherUrl = await pg.createDatabase("hugr_other");
      expect(otherUrl).toBe(`postgres://hugr@127.0.0.1:${pg.port}/hugr_other`);
      const sql = postgres(otherUrl, { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql<{ db: string }[]>`select current_database() as db`;
        expect(row!.db).toBe("hugr_other");
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      await pg.stop();
    }
    expect(existsSync(pg.dataDir)).toBe(false);
    await expect(selectOne(pg.url)).rejects.toThrow();
    await pg.stop(); // idempotent
  });

  it("honours options.database", async () => {
    const pg = await startPostgres({ database: "custom_db" });
    try {
      expect(pg.url.endsWith("/custom_db")).toBe(true);
      expect(await selectOne(pg.url)).toBe(1);
    } finally {
      await pg.stop();
    }
  });

  it("fails (never skips) with the install hint when the server programs are missing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "hugr-no-pg-"));
    try {
      vi.stubEnv("PG_BIN_DIR", empty);
      await expect(startPostgres()).rejects.toThrow(/apt-get install postgresql/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
