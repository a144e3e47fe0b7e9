#!/usr/bin/env bash
# What the kind suite may change on the host, as a snapshot to compare: CI runs as root on a developer's
# own machine and must leave it as it found it.
#
#   host-state.sh snapshot DIR   records processes, mounts, network namespaces, links, iptables rules,
#                                cgroups and sysctls into DIR
#   host-state.sh restore DIR    undoes what a run may leave behind, compared with DIR: sysctls written
#                                back (a privileged kind node's kubelet changes host sysctls), new empty
#                                cgroups removed, new named network namespaces deleted
#   host-state.sh compare DIR    takes a second snapshot (DIR/after) and exits 1, naming each difference,
#                                when anything is left: this is the check that teardown worked
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

# The pids of the processes alive now that were not in snapshot DIR and are not run by anything that
# was (walking up the parents through new processes only, they reach pid 1: daemons and orphans).
leftover_processes() {
  local dir="$1"
  # Zombies are not running: a daemon stopped just now may wait a moment for its parent to reap it.
  ps -e -o pid=,ppid=,stat=,args= | awk '$3 !~ /^Z/ { $3 = ""; print }' | awk -v before="${dir}/processes" '
    BEGIN { while ((getline line < before) > 0) { split(line, f, " "); old[f[1]] = 1 } }
    { pid = $1; parent[pid] = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); args[pid] = $0 }
    END {
      for (pid in parent) {
        if (pid in old) continue
        p = pid; orphan = 0
        for (i = 0; i < 100; i++) {
          q = parent[p]
          if (q == 1 || q == 0 || !(q in parent)) { orphan = 1; break }
          if (q in old) break
          p = q
        }
        if (orphan && args[pid] !~ /^(ps|awk) /) print pid " " args[pid]
      }
    }'
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
  # cgroups: new ones, deepest first (only empty ones can go; a process still in one shows up below).
  find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort | comm -13 "${dir}/cgroups" - | sort -r |
    while IFS= read -r name; do rmdir "${name}" 2>/dev/null || true; done
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

# The cgroups created since snapshot DIR that are the run's: empty ones (restore could not remove them,
# so they have children), or ones holding a leftover process. Others that appeared meanwhile (a
# supervisor's per-command cgroups, say) hold processes of their own and are not the run's.
leftover_cgroups() {
  local dir="$1" leftover_pids="$2" cgroup pids pid
  comm -13 "${dir}/cgroups" "${dir}/after/cgroups" | while IFS= read -r cgroup; do
    pids="$(cat "${cgroup}/cgroup.procs" 2>/dev/null || true)"
    if [ -z "${pids}" ]; then
      echo "${cgroup}"
      continue
    fi
    for pid in ${pids}; do
      if grep -qx "${pid}" <<<"${leftover_pids}"; then
        echo "${cgroup} (process ${pid})"
        break
      fi
    done
  done
  return 0
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
  added="$(leftover_cgroups "${dir}" "$(awk '{ print $1 }' <<<"${leftovers}")")"
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
