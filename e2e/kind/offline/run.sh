#!/usr/bin/env bash
# The kind suite (e2e/kind/run.sh) on a machine with no container engine and no registry, as CI runs it:
#   1. a snapshot of the host (host-state.sh), after undoing what an interrupted earlier run left;
#   2. the tools (tools.sh) and a private containerd and dockerd (daemons.sh), with the adaptations this
#      host needs;
#   3. the images (images.sh): kind's base and node image, node:24-bookworm-slim for our Dockerfiles,
#      PostgreSQL, Redis and metrics-server, all from local parts;
#   4. e2e/kind/run.sh, unchanged, pointed at them;
#   5. whatever happened (down.sh): the cluster deleted, the daemons stopped, the host's sysctls, cgroups
#      and network namespaces restored, and a second snapshot compared with the first (the run fails if
#      anything of it is left). KEEP_CLUSTER=1 keeps everything running until `bash down.sh`.
# Arguments go to e2e/kind/run.sh (scenario name filters). Everything it builds is cached (lib.sh), so
# only the first run on a machine is slow.
#
#   bash e2e/kind/offline/run.sh
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: it starts dockerd and privileged kind nodes"
BEFORE="${STATE}/host-before"

finish() {
  local code=$?
  trap - EXIT
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    log "KEEP_CLUSTER=1: the cluster, dockerd and containerd keep running (DOCKER_HOST=${DOCKER_HOST})"
    log "tear everything down with: bash e2e/kind/offline/down.sh"
  elif ! bash "${OFFLINE_DIR}/down.sh"; then
    [ "${code}" -ne 0 ] || code=1
  fi
  if [ "${code}" -eq 0 ]; then log "PASSED"; else log "FAILED (exit ${code}); logs in ${LOGS}"; fi
  exit "${code}"
}

step "host snapshot"
if [ -d "${BEFORE}" ]; then
  # A killed run, or KEEP_CLUSTER=1: its snapshot is the host as it was before, the one to come back to.
  log "an earlier run is still up or did not finish: tearing it down first"
  bash "${OFFLINE_DIR}/down.sh" || die "the earlier run's teardown left the host changed (see above)"
fi
bash "${OFFLINE_DIR}/host-state.sh" snapshot "${BEFORE}"
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "${OFFLINE_DIR}/tools.sh"
step "envtest binaries and helm"
ENVTEST_DIR="$(bash "${ROOT}/hack/envtest.sh" 2>"${LOGS}/envtest.log" | tail -n1)" ||
  die "hack/envtest.sh failed; its log is ${LOGS}/envtest.log"
HELM_DIR="$(bash "${ROOT}/hack/helm.sh" 2>"${LOGS}/helm.log" | tail -n1)" ||
  die "hack/helm.sh failed; its log is ${LOGS}/helm.log"
bash "${OFFLINE_DIR}/daemons.sh" up
ENVTEST_DIR="${ENVTEST_DIR}" bash "${OFFLINE_DIR}/images.sh"

step "the kind suite (e2e/kind/run.sh)"
sed "s#@BRIDGE_CONFLIST@#${OFFLINE_DIR}/files/10-bridge.conflist#" "${OFFLINE_DIR}/files/kind-config.yaml" \
  >"${STATE}/kind-config.yaml"
PATH="${BIN}:${ENVTEST_DIR}:${HELM_DIR}:${PATH}" \
  KIND_NODE_IMAGE="${NODE_IMAGE}" \
  KIND_CONFIG="${STATE}/kind-config.yaml" \
  KIND_LOAD_IMAGES="${POSTGRES_IMAGE_LOCAL} ${REDIS_IMAGE_LOCAL} ${METRICS_SERVER_IMAGE}" \
  POSTGRES_IMAGE="${POSTGRES_IMAGE_LOCAL}" \
  REDIS_IMAGE="${REDIS_IMAGE_LOCAL}" \
  DOCKER_BUILDKIT=0 DOCKER_BUILD_FLAGS="--network host" \
  bash "${ROOT}/e2e/kind/run.sh" "$@"
