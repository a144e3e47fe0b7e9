#!/usr/bin/env bash
# Tears down what run.sh started, whatever state it is in: the kind clusters of the private dockerd,
# dockerd and containerd, then the host restored to the snapshot run.sh took first (sysctls, cgroups,
# network namespaces) and compared with it. Exits 1 when something of the run is still on the host.
# run.sh calls it at its end; run it by hand after KEEP_CLUSTER=1, or after a run that was killed.
#
#   bash e2e/kind/offline/down.sh
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BEFORE="${STATE}/host-before"
step "teardown"
if docker version >/dev/null 2>&1 && [ -x "${BIN}/kind" ]; then
  "${BIN}/kind" delete clusters --all >"${LOGS}/kind-delete.log" 2>&1 || log "kind delete failed; see ${LOGS}/kind-delete.log"
fi
bash "${OFFLINE_DIR}/daemons.sh" down
if [ ! -d "${BEFORE}" ]; then
  log "no host snapshot in ${BEFORE}: nothing to compare"
  exit 0
fi
bash "${OFFLINE_DIR}/host-state.sh" restore "${BEFORE}"
bash "${OFFLINE_DIR}/host-state.sh" compare "${BEFORE}"
rm -rf "${BEFORE}"
