import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

/**
 * The checker CI relies on to prove the kind suite leaves the host clean (host-state.sh): it must name a
 * network namespace, a link and an orphaned process of the run left after a snapshot, and nothing once
 * they are gone; an orphan without the run's mark (another program's) is not the run's; restore must
 * delete a named network namespace created after the snapshot. Runs as root, on the host itself, with
 * state and cache in temporary folders (never the real run's).
 */
const SCRIPT = fileURLToPath(new URL("./host-state.sh", import.meta.url));
const NETNS_DIR = "/run/netns";
/** The poll interval and number of polls of every wait below (each wait is bounded, none is timed). */
const POLL_MS = 50;
const POLLS = 200;

interface Report {
  status: number | null;
  stderr: string;
  /** Each kind of leftover compare names ("netns left by the run", ...) with the lines listed under it. */
  sections: Map<string, string[]>;
}

/** What this test created and has not removed yet; afterEach removes whatever is left of it. */
interface Created {
  root?: string;
  orphan?: { pid: number; name: string };
  links: string[];
  netns: string[];
}
let created: Created = { links: [], netns: [] };
/** Whether /run/netns existed and was a mount point before this file ran (`ip netns add` makes it one). */
let netnsDirExisted = false;
let netnsDirWasMount = false;
/** The mark of this file's "run" (HUGR_KIND_RUN), which lib.sh exports to everything a run starts. */
const RUN_MARK = `host-state-test-${randomBytes(4).toString("hex")}`;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env });
}

function hostState(command: "snapshot" | "compare" | "restore", dir: string, root: string): Report {
  const result = spawnSync("bash", [SCRIPT, command, dir], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      ...process.env,
      HUGR_KIND_STATE: join(root, "state"),
      HUGR_KIND_CACHE: join(root, "cache"),
      HUGR_KIND_RUN: RUN_MARK,
    },
  });
  if (result.error) throw result.error;
  return { status: result.status, stderr: result.stderr, sections: sections(result.stderr) };
}

function sections(stderr: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stderr.split("\n")) {
    const header = /^\[kind-offline [^\]]*\] (.+):$/.exec(line)?.[1];
    if (header !== undefined) result.set(header, (current = []));
    else if (line.startsWith("    ") && current) current.push(line.trim());
    else current = undefined;
  }
  return result;
}

function isMountPoint(path: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[4] === path);
}

async function until(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < POLLS; i++) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return done();
}

/** The command line of process `pid`, "" when there is no such process (or it is a zombie). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** The parent of process `pid` (for failure messages: 1 unless a subreaper adopted it), -1 when gone. */
function parentPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
}

/**
 * Starts `sleep 300` named NAME whose parent exits at once: an orphan, reparented to pid 1; the run's
 * (it carries the run's mark, as whatever the run starts does) unless `marked` is false.
 */
async function startOrphan(name: string, marked = true): Promise<number> {
  const { HUGR_KIND_RUN: _inherited, ...env } = process.env;
  const pid = Number(
    run("bash", ["-c", `(exec -a ${name} sleep 300 </dev/null >/dev/null 2>&1) & echo $!`], {
      ...env,
      ...(marked ? { HUGR_KIND_RUN: RUN_MARK } : {}),
    }).trim(),
  );
  created.orphan = { pid, name };
  expect(await until(() => cmdline(pid) === `${name} 300`), `orphan ${pid}: ${cmdline(pid)}`).toBe(true);
  return pid;
}

/** Kills the orphan (if that pid is still it) and waits until pid 1 has reaped it. */
async function killOrphan(): Promise<void> {
  const orphan = created.orphan;
  if (!orphan) return;
  if (cmdline(orphan.pid).startsWith(`${orphan.name} `)) process.kill(orphan.pid, "SIGKILL");
  // Some inits reap late; a zombie is still listed by ps, so compare would name it.
  await until(() => !existsSync(`/proc/${orphan.pid}`));
  created.orphan = undefined;
}

function addLink(name: string): void {
  // A bridge, not a dummy: some kernels lack the dummy module; a bridge with no port is just as inert.
  run("ip", ["link", "add", name, "type", "bridge"]);
  created.links.push(name);
}

function deleteLink(name: string): void {
  if (spawnSync("ip", ["link", "show", name]).status === 0) run("ip", ["link", "delete", name]);
  created.links = created.links.filter((link) => link !== name);
}

function addNetns(name: string): void {
  run("ip", ["netns", "add", name]);
  created.netns.push(name);
}

function deleteNetns(name: string): void {
  if (existsSync(join(NETNS_DIR, name))) run("ip", ["netns", "delete", name]);
  created.netns = created.netns.filter((netns) => netns !== name);
}

/**
 * `ip netns add` creates /run/netns and makes it a mount point when it is not; `ip netns delete` (and
 * restore) leave that behind. Undone once no namespace is left in it, as part of removing ours.
 */
function undoNetnsMount(): void {
  if (!existsSync(NETNS_DIR) || readdirSync(NETNS_DIR).length > 0) return;
  if (!netnsDirWasMount && isMountPoint(NETNS_DIR)) run("umount", [NETNS_DIR]);
  if (!netnsDirExisted) rmdirSync(NETNS_DIR);
}

/**
 * Asserts compare names nothing of this test. Other processes on the host (a kind run, a supervisor) may
 * leave things of their own meanwhile, so exit 1 is accepted when it is a report that names none of ours.
 */
function expectNothingOfOurs(report: Report, ours: string[], pid?: number): void {
  expect([0, 1], report.stderr).toContain(report.status);
  if (report.status === 0) expect(report.stderr).toContain("the host is as it was before the run");
  else expect(report.stderr).toContain("the host is not as it was before the run");
  const named = [...report.sections].flatMap(([what, lines]) =>
    lines.filter(
      (line) =>
        ours.some((name) => line.includes(name)) ||
        (what === "processes left running" && pid !== undefined && line.startsWith(`${pid} `)) ||
        (what === "mounts left by the run" && !netnsDirWasMount && line === NETNS_DIR),
    ),
  );
  expect(named, report.stderr).toEqual([]);
}

beforeAll(() => {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "host-state.test.ts must run as root (it adds network namespaces and links, as CI's root does): run it as root",
    );
  }
  netnsDirExisted = existsSync(NETNS_DIR);
  netnsDirWasMount = isMountPoint(NETNS_DIR);
});

beforeEach(() => {
  created = { root: mkdtempSync(join(tmpdir(), "hugr-host-state-")), links: [], netns: [] };
});

afterEach(async () => {
  const failures: string[] = [];
  const attempt = async (what: string, undo: () => unknown): Promise<void> => {
    try {
      await undo();
    } catch (error) {
      failures.push(`${what}: ${String(error)}`);
    }
  };
  await attempt("kill the orphan", killOrphan);
  for (const link of [...created.links]) await attempt(`delete link ${link}`, () => deleteLink(link));
  for (const netns of [...created.netns]) await attempt(`delete netns ${netns}`, () => deleteNetns(netns));
  await attempt(`undo the ${NETNS_DIR} mount`, undoNetnsMount);
  if (created.root) rmSync(created.root, { recursive: true, force: true });
  expect(failures, "cleanup left something on the host").toEqual([]);
});

describe("host-state.sh, the check that the kind suite leaves the host as it was", () => {
  it("names a network namespace, a link and an orphaned process left after the snapshot, and nothing once they are gone", async () => {
    const root = created.root!;
    const before = join(root, "before");
    const suffix = randomBytes(4).toString("hex");
    const netns = `hugr-test-${suffix}`;
    const link = `hugr-t${suffix}`; // 14 characters: interface names have at most 15
    const orphanName = `hugr-orphan-${suffix}`;
    const ours = [netns, link, orphanName];

    expect(hostState("snapshot", before, root).status).toBe(0);
    expectNothingOfOurs(hostState("compare", before, root), ours);

    addNetns(netns);
    addLink(link);
    const pid = await startOrphan(orphanName);
    const left = hostState("compare", before, root);
    expect(left.status, left.stderr).toBe(1);
    expect(left.sections.get("netns left by the run"), left.stderr).toContain(netns);
    expect(left.sections.get("links left by the run"), left.stderr).toContain(link);
    expect(
      left.sections.get("processes left running"),
      `${left.stderr}\norphan ${pid}'s parent: ${parentPid(pid)}`,
    ).toContain(`${pid} ${orphanName} 300`);

    await killOrphan();
    deleteLink(link);
    deleteNetns(netns);
    undoNetnsMount();
    expectNothingOfOurs(hostState("compare", before, root), ours, pid);
  });

  it("does not take an orphan without the run's mark (another program's, started meanwhile) for the run's", async () => {
    const root = created.root!;
    const before = join(root, "before");
    const orphanName = `hugr-other-${randomBytes(4).toString("hex")}`;

    expect(hostState("snapshot", before, root).status).toBe(0);
    expect(readFileSync(join(before, "run-id"), "utf8")).toBe(`${RUN_MARK}\n`);
    const pid = await startOrphan(orphanName, false);
    expectNothingOfOurs(hostState("compare", before, root), [orphanName], pid);
  });

  it("restore deletes a named network namespace created after the snapshot", async () => {
    const root = created.root!;
    const before = join(root, "before");
    const netns = `hugr-test-${randomBytes(4).toString("hex")}`;

    expect(hostState("snapshot", before, root).status).toBe(0);
    // Only the namespaces are under test: with no sysctl in the snapshot, restore writes none back (a
    // concurrent kind run's kubelet may set some right now).
    writeFileSync(join(before, "sysctls"), "");
    addNetns(netns);
    expect(run("ip", ["netns", "list"])).toContain(netns);

    const restored = hostState("restore", before, root);
    expect(restored.status, restored.stderr).toBe(0);
    expect(run("ip", ["netns", "list"]).split("\n")).not.toContainEqual(
      expect.stringMatching(`^${netns}\\b`),
    );
    expect(existsSync(join(NETNS_DIR, netns))).toBe(false);
  });
});
