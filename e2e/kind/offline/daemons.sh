#!/usr/bin/env bash
# Starts (up) or stops (down) the private containerd and dockerd that kind uses on a machine without a
# container engine, each on its own socket, root and state under $STATE and $CACHE (see lib.sh); the
# machine's own Docker, if any, is not touched. Adaptations, only where this host needs them:
# - a runc wrapper as the default runtime when the capability bounding set lacks CAP_SYS_RESOURCE
#   (privileged kind nodes would fail with "unable to apply caps");
# - dockerd leaves the host's iptables, IP forwarding and bridges alone (--iptables=false,
#   --ip-forward=false, --bridge=none): kind's own network needs none of them on one node.
#
#   bash e2e/kind/offline/daemons.sh up     # then DOCKER_HOST=unix://$STATE/docker.sock
#   bash e2e/kind/offline/daemons.sh down
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONTAINERD_DIR="${STATE}/containerd"
DOCKER_DATA="${CACHE}/docker"

# stop NAME: SIGTERM to the pid in $STATE/NAME.pid, SIGKILL after 30 s, waits until it is gone.
stop() {
  local pid_file="${STATE}/$1.pid" pid i
  [ -f "${pid_file}" ] || return 0
  pid="$(cat "${pid_file}")"
  if kill -0 "${pid}" 2>/dev/null; then
    log "stopping $1 (pid ${pid})"
    kill "${pid}" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "${pid}" 2>/dev/null; then
      log "$1 did not stop in 30 s: SIGKILL"
      kill -9 "${pid}" 2>/dev/null || true
    fi
  fi
  rm -f "${pid_file}"
}

# wait_for_socket NAME SOCKET PID: until the socket exists, or the daemon died (then its log is shown).
wait_for_socket() {
  local i
  for ((i = 0; i < 120; i++)); do
    [ -S "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 25 "${LOGS}/$1.log" | sed 's/^/    | /' >&2
  die "$1 did not open $2; its log is ${LOGS}/$1.log"
}

up() {
  step "containerd and dockerd (sockets in ${STATE}, images in ${DOCKER_DATA})"
  for command in containerd dockerd runc; do
    command -v "${command}" >/dev/null 2>&1 || die "${command} is not installed (Debian packages containerd, docker.io, runc)"
  done
  if [ -S "${STATE}/docker.sock" ] && docker version >/dev/null 2>&1; then
    log "dockerd already runs on ${DOCKER_HOST}"
    return 0
  fi
  mkdir -p "${CONTAINERD_DIR}" "${DOCKER_DATA}"
  cat >"${CONTAINERD_DIR}/config.toml" <<TOML
version = 2
root = "${CONTAINERD_DIR}/root"
state = "${CONTAINERD_DIR}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "${CONTAINERD_DIR}/containerd.sock"
[ttrpc]
  address = "${CONTAINERD_DIR}/containerd.sock.ttrpc"
TOML
  containerd --config "${CONTAINERD_DIR}/config.toml" >"${LOGS}/containerd.log" 2>&1 &
  echo $! >"${STATE}/containerd.pid"
  wait_for_socket containerd "${CONTAINERD_DIR}/containerd.sock" "$!"

  local runtime=()
  if lacks_cap_sys_resource; then
    log "this host's capability bounding set lacks CAP_SYS_RESOURCE: runc through files/runc-wrapper"
    command -v jq >/dev/null 2>&1 || die "jq is not installed (the runc wrapper needs it)"
    runtime=(--add-runtime "offline-runc=${OFFLINE_DIR}/files/runc-wrapper" --default-runtime offline-runc)
  fi
  echo '{}' >"${STATE}/daemon.json"
  dockerd --config-file "${STATE}/daemon.json" --host "${DOCKER_HOST}" --pidfile "${STATE}/dockerd-own.pid" \
    --data-root "${DOCKER_DATA}" --exec-root "${STATE}/docker-exec" --containerd "${CONTAINERD_DIR}/containerd.sock" \
    --storage-driver overlay2 --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    "${runtime[@]}" >"${LOGS}/dockerd.log" 2>&1 &
  echo $! >"${STATE}/dockerd.pid"
  wait_for_socket dockerd "${STATE}/docker.sock" "$!"
  local i
  for ((i = 0; i < 60; i++)); do
    docker version >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker version --format 'dockerd {{.Server.Version}} (API {{.Server.APIVersion}})' >&2 ||
    die "dockerd does not answer on ${DOCKER_HOST}; its log is ${LOGS}/dockerd.log"
}

down() {
  step "stopping dockerd and containerd"
  if [ -S "${STATE}/docker.sock" ] && docker version >/dev/null 2>&1; then
    # Containers first (kind deletes its own; anything left by a failed run goes here), then the
    # networks, whose bridges dockerd would otherwise leave on the host.
    local ids network
    ids="$(docker ps -aq)"
    [ -z "${ids}" ] || docker rm -f -v ${ids} >/dev/null 2>&1 || true
    for network in $(docker network ls --filter type=custom -q); do
      docker network rm "${network}" >/dev/null 2>&1 || true
    done
    docker volume prune -f >/dev/null 2>&1 || true
    # Each build of the suite tags its images e2e-<id>: only the e2e tags (Docker's build cache) stay.
    docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^hugr-(operator|worker):e2e-' |
      xargs -r docker image rm >/dev/null 2>&1 || true
    docker image prune -f >/dev/null 2>&1 || true
  fi
  stop dockerd
  rm -f "${STATE}/dockerd-own.pid"
  stop containerd
  # dockerd leaves the bind mount of the host's network namespace in its exec root.
  { grep -o " ${STATE}/[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r mount_point; do
    umount "${mount_point}" 2>/dev/null || umount -l "${mount_point}" 2>/dev/null || log "could not unmount ${mount_point}"
  done
  rm -rf "${STATE}/docker-exec" "${CONTAINERD_DIR}/state" "${STATE}/docker.sock"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) die "usage: daemons.sh up|down" ;;
esac
