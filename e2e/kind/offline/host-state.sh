#!/usr/bin/env bash
# What the kind suite may change on the host, as a snapshot to compare: CI runs as root on a developer's
# own machine and must leave it as it found it.
#
#   host-state.sh snapshot DIR   records processes, mounts, network namespaces, links, iptables rules,
#                                cgroups and sysctls into DIR
#   host-state.sh restore DIR    undoes what a run may leave behind, compared with DIR: sysctls written
#                                back (a privileged kind node's kubelet changes host sysctls), new empty
#                                cgroups of the run removed, new named network namespaces deleted
#   host-state.sh compare DIR    takes a second snapshot (DIR/after) and exits 1, naming each difference,
#                                when anything is left: this is the check that teardown worked
# The run's cgroups are dockerd's (docker) and those under it made since the snapshot (docker/<container>:
# the kind node nests everything it runs there). A process counts as the run's when it or a new process above it
# carries the run's mark (HUGR_KIND_RUN, exported by lib.sh and so inherited by everything the run
# starts), or when it sits in one of the run's cgroups (a container's processes do not inherit the mark).
# What other programs start on the host meanwhile, on a machine that is not only CI's, is not the run's,
# nor are the per-command cgroups a supervisor may make for them: neither is reported nor removed.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# One collation for sort and comm.
export LC_ALL=C

# Values that change by themselves (counters, random, the clock): never compared.
VOLATILE_SYSCTLS='^(kernel\.random\.|kernel\.ns_last_pid|kernel\.pty\.nr|fs\.(aio-nr|dentry-state|file-nr|inode-nr|inode-state|quota\.)|net\.netfilter\.nf_conntrack_count|kernel\.sched_domain|vm\.stat_refresh|fs\.binfmt_misc|kernel\.perf_event_max|net\.ipv6\.conf\.(veth|br-|cni|docker)|net\.ipv4\.conf\.(veth|br-|cni|docker)|net\.ipv4\.neigh\.(veth|br-|cni|docker)|net\.ipv6\.neigh\.(veth|br-|cni|docker))'

named_netns() {
  { ip netns list 2>/dev/null | awk '{ print $1 }' || true; ls /run/netns 2>/dev/null || true; } | sort -u
}

sysctls() {
  sysctl -a 2>/dev/null | grep -Ev "${VOLATILE_SYSCTLS}" | LC_ALL=C sort || true
}

snapshot() {
  local dir="$1"
  mkdir -p "${dir}"
  ps -e -o pid=,ppid=,args= | awk '{ $1 = $1; print }' >"${dir}/processes"
  printf '%s\n' "${HUGR_KIND_RUN}" >"${dir}/run-id"
  awk '{ print $5 }' /proc/self/mountinfo | sort >"${dir}/mounts"
  named_netns >"${dir}/netns"
  ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort >"${dir}/links"
  : >"${dir}/iptables"
  local save
  for save in iptables-save ip6tables-save iptables-legacy-save ip6tables-legacy-save; do
    command -v "${save}" >/dev/null 2>&1 || continue
    "${save}" 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]/[0:0]/' | sed "s/^/${save}: /" >>"${dir}/iptables" || true
  done
  find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort >"${dir}/cgroups"
  sysctls >"${dir}/sysctls"
}

# new_cgroups DIR: the run's cgroups that exist now (dockerd's own, docker, when it made it too).
new_cgroups() {
  find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort | comm -13 "$1/cgroups" - |
    grep -E '/docker(/|$)' || true
}

# The processes ("pid args") alive now that were not in snapshot DIR, are not run by anything that was
# (walking up the parents through new processes only, they reach pid 1: daemons and orphans), and are
# the run's.
leftover_processes() {
  local dir="$1" run_id in_new_cgroups pid chain args
  run_id="$(cat "${dir}/run-id" 2>/dev/null || true)"
  in_new_cgroups="$(new_cgroups "${dir}" | sed 's|$|/cgroup.procs|' | xargs -r cat 2>/dev/null || true)"
  # Zombies are not running: a daemon stopped just now may wait a moment for its parent to reap it.
  # awk prints "pid chain args", the chain being the new processes from pid up to pid 1, comma-separated.
  ps -e -o pid=,ppid=,stat=,args= | awk '$3 !~ /^Z/ { $3 = ""; print }' | awk -v before="${dir}/processes" '
    BEGIN { while ((getline line < before) > 0) { split(line, f, " "); old[f[1]] = 1 } }
    { pid = $1; parent[pid] = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); args[pid] = $0 }
    END {
      for (pid in parent) {
        if (pid in old) continue
        p = pid; orphan = 0; chain = pid
        for (i = 0; i < 100; i++) {
          q = parent[p]
          if (q == 1 || q == 0 || !(q in parent)) { orphan = 1; break }
          if (q in old) break
          p = q; chain = chain "," q
        }
        if (orphan && args[pid] !~ /^(ps|awk) /) print pid " " chain " " args[pid]
      }
    }' | while read -r pid chain args; do
    # A snapshot without a mark (an older run's) takes every such process for the run's.
    if [ -z "${run_id}" ] || grep -qx "${pid}" <<<"${in_new_cgroups}" || marked "${chain}" "${run_id}"; then
      echo "${pid} ${args}"
    fi
  done
}

# marked PIDS RUN_ID: one of the comma-separated processes was started with HUGR_KIND_RUN=RUN_ID.
marked() {
  local pid environ
  for pid in ${1//,/ }; do
    environ="$({ tr '\0' '\n' <"/proc/${pid}/environ"; } 2>/dev/null)" || continue # gone meanwhile
    grep -qxF "HUGR_KIND_RUN=$2" <<<"${environ}" && return 0
  done
  return 1
}

restore() {
  local dir="$1" key value name
  [ -f "${dir}/sysctls" ] || die "no snapshot in ${dir}"
  # sysctls: write back every value that changed (the lines of the snapshot that are not so now).
  sysctls >"${dir}/sysctls.now"
  comm -23 "${dir}/sysctls" "${dir}/sysctls.now" | while IFS= read -r line; do
    key="${line%% = *}"
    value="${line#* = }"
    grep -q "^${key} = " "${dir}/sysctls.now" || continue
    log "sysctl ${key}: back to ${value}"
    sysctl -q -w "${key}=${value}" >/dev/null 2>&1 || log "could not restore sysctl ${key}"
  done
  rm -f "${dir}/sysctls.now"
  # The run's cgroups, deepest first (only empty ones can go; a process still in one shows up below).
  new_cgroups "${dir}" | sort -r | while IFS= read -r name; do rmdir "${name}" 2>/dev/null || true; done
  # Named network namespaces that did not exist, and the mount of /run/netns the first one makes.
  named_netns | comm -13 "${dir}/netns" - |
    while IFS= read -r name; do ip netns delete "${name}" 2>/dev/null || true; done
  if ! grep -qx /run/netns "${dir}/mounts" && [ -z "$(ls -A /run/netns 2>/dev/null)" ] &&
    awk '{ print $5 }' /proc/self/mountinfo | grep -qx /run/netns; then
    umount /run/netns 2>/dev/null || true
    rmdir /run/netns 2>/dev/null || true
  fi
}

# report WHAT TEXT: names a kind of leftover and lists it.
report() {
  log "$1:"
  printf '%s\n' "$2" | head -n 20 | sed 's/^/    /' >&2
}

# The run's cgroups left (restore removed the empty ones it could), each with a process it holds.
leftover_cgroups() {
  local cgroup pid
  new_cgroups "$1" | while IFS= read -r cgroup; do
    pid="$(head -n1 "${cgroup}/cgroup.procs" 2>/dev/null || true)"
    echo "${cgroup}${pid:+ (process ${pid})}"
  done
}

compare() {
  local dir="$1" failed=0 what leftovers added changed
  [ -f "${dir}/sysctls" ] || die "no snapshot in ${dir}"
  rm -rf "${dir}/after"
  snapshot "${dir}/after"
  leftovers="$(leftover_processes "${dir}")"
  if [ -n "${leftovers}" ]; then
    report "processes left running" "${leftovers}"
    failed=1
  fi
  # What the run adds and must remove; what disappeared meanwhile is not the run's.
  for what in mounts netns links; do
    added="$(comm -13 "${dir}/${what}" "${dir}/after/${what}")"
    if [ -n "${added}" ]; then
      report "${what} left by the run" "${added}"
      failed=1
    fi
  done
  added="$(leftover_cgroups "${dir}")"
  if [ -n "${added}" ]; then
    report "cgroups left by the run" "${added}"
    failed=1
  fi
  # Rules and settings must be exactly as they were.
  for what in iptables sysctls; do
    changed="$(diff "${dir}/${what}" "${dir}/after/${what}" | grep '^[<>]' || true)"
    if [ -n "${changed}" ]; then
      report "${what} changed by the run (< before, > after)" "${changed}"
      failed=1
    fi
  done
  if [ "${failed}" = 1 ]; then
    log "the host is not as it was before the run (snapshots in ${dir})"
    return 1
  fi
  log "the host is as it was before the run: no process, mount, network namespace, link, iptables rule, cgroup or sysctl of the run is left"
}

case "${1:-}" in
  snapshot) snapshot "${2:?snapshot DIR}" ;;
  restore) restore "${2:?restore DIR}" ;;
  compare) compare "${2:?compare DIR}" || exit 1 ;; # the report says why: no ERROR line of the trap
  *) die "usage: host-state.sh snapshot|restore|compare DIR" ;;
esac
