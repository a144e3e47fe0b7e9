# Shared by the scripts of e2e/kind/offline (sourced, not run): where things live, progress and failures.
#
# Two folders:
#   CACHE  what is built once and kept, like the envtest binaries: the Go-built tools, the Debian root file
#          systems, and the data root of the private dockerd (so the images and Docker's build cache stay).
#          ${HUGR_KIND_CACHE:-${XDG_DATA_HOME:-$HOME/.local/share}/hugr-tools/kind-offline/<k8s version>}
#   STATE  what one run uses and removes: sockets, pid files, the daemons' state, logs, host snapshots.
#          ${HUGR_KIND_STATE:-${TMPDIR:-/tmp}/hugr-kind-offline}

# A failing command inside $(...) fails the script too.
shopt -s inherit_errexit

K8S_VERSION="${KIND_K8S_VERSION:-1.34.4}"
KIND_VERSION="v0.33.0"
CRICTL_VERSION="v1.37.0"
COREDNS_VERSION="v1.12.1"
METRICS_SERVER_VERSION="v0.8.1"
# What kubeadm v1.34 asks for; etcd and pause are built from local binaries and tagged with these names.
ETCD_IMAGE_TAG="3.6.5-0"
PAUSE_IMAGE_TAGS=("3.10" "3.10.1")
DEBIAN_SUITE="bookworm"

CACHE="${HUGR_KIND_CACHE:-${XDG_DATA_HOME:-$HOME/.local/share}/hugr-tools/kind-offline/${K8S_VERSION}}"
STATE="${HUGR_KIND_STATE:-${TMPDIR:-/tmp}/hugr-kind-offline}"
OFFLINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${OFFLINE_DIR}/../../.." && pwd)"
BIN="${CACHE}/bin"
LOGS="${STATE}/logs"
export DOCKER_HOST="unix://${STATE}/docker.sock"

# The images this machine builds, by the names kind, kubeadm and the suite ask for.
BASE_IMAGE="hugr.local/kind-base:${KIND_VERSION}"
NODE_IMAGE="hugr.local/kind-node:v${K8S_VERSION}"
DEBIAN_IMAGE="debian:${DEBIAN_SUITE}-slim"
NODE_JS_IMAGE="node:24-${DEBIAN_SUITE}-slim"
POSTGRES_IMAGE_LOCAL="hugr.local/postgres:15-${DEBIAN_SUITE}"
REDIS_IMAGE_LOCAL="hugr.local/redis:7-${DEBIAN_SUITE}"
METRICS_SERVER_IMAGE="registry.k8s.io/metrics-server/metrics-server:${METRICS_SERVER_VERSION}"

mkdir -p "${CACHE}" "${BIN}" "${LOGS}"

# The run's mark, inherited by every process it starts: host-state.sh tells the run's leftovers by it.
# (An export line: the image digests of images.sh read only the plain NAME= settings above.)
export HUGR_KIND_RUN="${HUGR_KIND_RUN:-${EPOCHSECONDS}-$$}"

# One clock for run.sh and the scripts it runs.
export PROGRESS_START="${PROGRESS_START:-${EPOCHREALTIME}}"
PROGRESS_NAME=kind-offline
# shellcheck source=hack/progress.sh
source "${ROOT}/hack/progress.sh"

# logged NAME COMMAND...: runs the command with its output in $LOGS/NAME.log; on failure prints the log's
# last lines and where the whole log is, and exits.
logged() {
  local name="$1" log_file rc=0
  shift
  log_file="${LOGS}/${name}.log"
  "$@" >"${log_file}" 2>&1 || rc=$?
  if [ "${rc}" -ne 0 ]; then
    tail -n 25 "${log_file}" | sed 's/^/    | /' >&2
    die "'$1' failed (exit ${rc}); the whole log is ${log_file}"
  fi
}

# True when the host's capability bounding set lacks CAP_SYS_RESOURCE (bit 24): then a privileged
# container cannot get it either, and runc must be told not to ask for it.
lacks_cap_sys_resource() {
  local bounding
  bounding="$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)"
  (((0x${bounding} >> 24 & 1) == 0))
}
