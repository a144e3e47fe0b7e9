#!/usr/bin/env bash
# Builds, once, the programs kind needs on a machine that reaches no container registry and no release
# downloads, only the Go module proxy: the kind CLI, crictl, kubeadm, kubelet, kube-proxy,
# kube-scheduler, CoreDNS and metrics-server, into $CACHE/bin (see lib.sh). etcd, kube-apiserver,
# kube-controller-manager and kubectl come from hack/envtest.sh, helm from hack/helm.sh.
# A binary already in the cache is used as it is; KIND_OFFLINE_FORCE=1 builds again.
#
#   bash e2e/kind/offline/tools.sh
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod"
LDFLAGS="-s -w"
SCRATCH="${CACHE}/go-modules"

cached() { [ "${KIND_OFFLINE_FORCE:-0}" != 1 ] && [ -x "${BIN}/$1" ]; }

# go_install NAME PACKAGE@VERSION: a tool that builds as a main module of its own.
go_install() {
  local name="$1" package="$2" start="${EPOCHREALTIME}"
  if cached "${name}"; then return 0; fi
  step "build ${name} (go install ${package})"
  logged "build-${name}" env GOBIN="${BIN}" nice go install -trimpath -ldflags "${LDFLAGS}" "${package}"
  log "${name}: $(awk -v a="${start}" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.0f s", b - a }')"
}

# The Kubernetes node programs: k8s.io/kubernetes requires its staging modules as v0.0.0 replaced by
# ./staging, which a module of ours cannot follow; a scratch module replaces each by its published v0.X.Y
# (as hack/envtest.sh does for the control plane).
build_kubernetes() {
  local missing=() command
  for command in kubeadm kubelet kube-proxy kube-scheduler; do cached "${command}" || missing+=("${command}"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  step "build ${missing[*]} (k8s.io/kubernetes v${K8S_VERSION})"
  local module="${SCRATCH}/kubernetes" gomod minor
  minor="${K8S_VERSION#*.}"
  minor="${minor%%.*}"
  mkdir -p "${module}"
  gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v${K8S_VERSION}.mod"
  [ -f "${gomod}" ] || logged download-kubernetes go mod download "k8s.io/kubernetes@v${K8S_VERSION}"
  {
    echo "module example.local/kubernetes"
    grep -m1 '^go ' "${gomod}"
    grep '^godebug ' "${gomod}" || true
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "${gomod}" |
      sort -u | sed "s#.*#\t& => & v0.${K8S_VERSION#*.}#"
    echo ")"
  } >"${module}/go.mod"
  local ldflags="${LDFLAGS}" package
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${package}.gitVersion=v${K8S_VERSION} -X ${package}.gitMajor=1 -X ${package}.gitMinor=${minor}"
    ldflags+=" -X ${package}.gitTreeState=clean"
  done
  local packages=()
  for command in "${missing[@]}"; do packages+=("k8s.io/kubernetes/cmd/${command}@v${K8S_VERSION}"); done
  logged go-get-kubernetes go -C "${module}" get "${packages[@]}"
  for command in "${missing[@]}"; do
    log "go build ${command}"
    logged "build-${command}" nice go -C "${module}" build -trimpath -ldflags "${ldflags}" \
      -o "${BIN}/${command}" "k8s.io/kubernetes/cmd/${command}"
  done
}

# metrics-server's own go.mod pins older k8s.io modules than the apiserver of v1.34 serves well with;
# a scratch module requires it with the k8s.io modules of this Kubernetes release.
build_metrics_server() {
  if cached metrics-server; then return 0; fi
  step "build metrics-server ${METRICS_SERVER_VERSION} (on k8s.io v0.${K8S_VERSION#*.})"
  local module="${SCRATCH}/metrics-server" staging=()
  mkdir -p "${module}"
  printf 'module example.local/metrics-server\n\ngo 1.24.12\n' >"${module}/go.mod"
  for m in api apimachinery apiserver client-go component-base metrics kms; do
    staging+=("k8s.io/${m}@v0.${K8S_VERSION#*.}")
  done
  logged go-get-metrics-server go -C "${module}" get \
    "sigs.k8s.io/metrics-server/cmd/metrics-server@${METRICS_SERVER_VERSION}" "${staging[@]}"
  logged build-metrics-server nice go -C "${module}" build -trimpath -ldflags "${LDFLAGS}" \
    -o "${BIN}/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server
}

command -v go >/dev/null 2>&1 || die "go is not on PATH: the tools are built from the Go module proxy"
go_install kind "sigs.k8s.io/kind@${KIND_VERSION}"
go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@${CRICTL_VERSION}"
build_kubernetes
go_install coredns "github.com/coredns/coredns@${COREDNS_VERSION}"
build_metrics_server
step "tools ready in ${BIN}"
