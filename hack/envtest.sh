#!/usr/bin/env bash
# Provides etcd, kube-apiserver, kube-controller-manager and kubectl for the tests that run on a real
# kube-apiserver, and prints the folder that holds them as the LAST LINE of standard output (progress and
# errors go to standard error), so callers can do:
#
#   export KUBEBUILDER_ASSETS="$(bash hack/envtest.sh)"      # or: "$(make -s envtest)"
#
# 1. KUBEBUILDER_ASSETS, when set and holding executable etcd, kube-apiserver and kube-controller-manager,
#    is used as it is.
# 2. Otherwise the binaries live where controller-runtime's setup-envtest keeps them:
#    ${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest/k8s/<k8s version>-<os>-<arch>/
#    and are used when all three are there and answer --version.
# 3. Otherwise they are built offline from the Go module proxy (nothing else is reachable here): a scratch
#    module requiring k8s.io/kubernetes with every staging module (k8s.io/api, ... required as v0.0.0 and
#    replaced by ./staging in the kubernetes repository) replaced by its published v0.X.Y, and a second
#    scratch module for etcd's server. Everything is built in a temporary folder; the three binaries are
#    moved into the cache folder only when all of them built.
#
# Environment: ENVTEST_K8S_VERSION (default below), ENVTEST_ETCD_VERSION, GO (the go command),
# ENVTEST_FORCE=1 to rebuild even when cached, ENVTEST_KEEP_TMP=1 to keep the scratch folder.
# GOPATH, GOMODCACHE, GOCACHE, GOPROXY and GOFLAGS are respected (-mod=mod is added to GOFLAGS).
set -Eeuo pipefail

K8S_VERSION="${ENVTEST_K8S_VERSION:-1.34.4}"
K8S_VERSION="${K8S_VERSION#v}"
ETCD_VERSION="${ENVTEST_ETCD_VERSION:-3.6.16}"
ETCD_VERSION="${ETCD_VERSION#v}"
BINARIES=(etcd kube-apiserver kube-controller-manager kubectl)

# Standard output carries only the final path: everything else goes to standard error.
exec 3>&1 1>&2

TMP=""

PROGRESS_NAME=envtest
# shellcheck source=hack/progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/progress.sh"
cleanup() {
  if [ -n "${TMP}" ] && [ -d "${TMP}" ]; then
    if [ "${ENVTEST_KEEP_TMP:-}" = "1" ]; then
      log "scratch folder kept: ${TMP}"
    else
      # The module cache marks extracted files read-only; the scratch folder holds none, but be safe.
      chmod -R u+w "${TMP}" 2>/dev/null || true
      rm -rf "${TMP}"
    fi
  fi
}
trap cleanup EXIT

# True when folder $1 holds all three binaries, executable.
has_binaries() {
  local b
  for b in "${BINARIES[@]}"; do
    [ -f "$1/$b" ] && [ -x "$1/$b" ] || return 1
  done
}

# True when the binaries of folder $1 run and kube-apiserver is the wanted release.
binaries_work() {
  local out
  has_binaries "$1" || return 1
  "$1/etcd" --version >/dev/null 2>&1 || return 1
  "$1/kube-controller-manager" --version >/dev/null 2>&1 || return 1
  "$1/kubectl" version --client >/dev/null 2>&1 || return 1
  out="$("$1/kube-apiserver" --version 2>/dev/null)" || return 1
  [ "${out}" = "Kubernetes v${K8S_VERSION}" ]
}

# Bytes used by folder $1 (0 when it does not exist).
bytes_of() {
  if [ -d "$1" ]; then du -sb "$1" 2>/dev/null | awk '{ print $1 }'; else echo 0; fi
}
# First line of what command "$@" prints (no pipe into head: a SIGPIPE would trip pipefail).
first_line() {
  local out
  out="$("$@" 2>&1)"
  printf '%s' "${out%%$'\n'*}"
}
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

# Runs "$@" and logs how long it took under label $1 (the command is "$@" after the label).
timed() {
  local label="$1" t0="${EPOCHREALTIME}"
  shift
  local rc=0
  "$@" || rc=$? # errexit does not apply inside a function called from a || list
  if [ "${rc}" -ne 0 ]; then
    log "${label}: FAILED (exit ${rc}): $*"
    return "${rc}"
  fi
  log "${label}: $(awk -v a="${t0}" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.1f s", b - a }')"
}

# --- 1. KUBEBUILDER_ASSETS ----------------------------------------------------------------------------
step "check KUBEBUILDER_ASSETS"
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  if has_binaries "${KUBEBUILDER_ASSETS}"; then
    log "KUBEBUILDER_ASSETS=${KUBEBUILDER_ASSETS} holds ${BINARIES[*]}: using it as it is"
    echo "${KUBEBUILDER_ASSETS}" >&3
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=${KUBEBUILDER_ASSETS} lacks one of ${BINARIES[*]}: ignoring it"
fi

# --- 2. setup-envtest's cache -------------------------------------------------------------------------
step "check the cache"
GO="${GO:-$(command -v go || true)}"
if [ -z "${GO}" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
GOOS="$(${GO:-false} env GOOS 2>/dev/null || uname -s | tr '[:upper:]' '[:lower:]')"
GOARCH="$(${GO:-false} env GOARCH 2>/dev/null || true)"
if [ -z "${GOARCH}" ]; then
  case "$(uname -m)" in
    x86_64) GOARCH=amd64 ;;
    aarch64 | arm64) GOARCH=arm64 ;;
    *) GOARCH="$(uname -m)" ;;
  esac
fi
DATA_HOME="${XDG_DATA_HOME:-${HOME}/.local/share}"
BASE="${DATA_HOME}/kubebuilder-envtest/k8s"
DEST="${BASE}/${K8S_VERSION}-${GOOS}-${GOARCH}"
if [ "${ENVTEST_FORCE:-}" != "1" ] && binaries_work "${DEST}"; then
  log "cached: ${DEST} (Kubernetes v${K8S_VERSION}, $(first_line "${DEST}/etcd" --version))"
  echo "${DEST}" >&3
  exit 0
fi
log "not cached in ${DEST}: building Kubernetes v${K8S_VERSION} and etcd v${ETCD_VERSION} from the Go module proxy"

# One build at a time per cache; a build that finishes while we wait is used.
mkdir -p "${BASE}"
exec 9>"${BASE}/.envtest-build.lock"
if ! flock -n 9; then
  log "another build holds ${BASE}/.envtest-build.lock: waiting"
  flock 9
  if [ "${ENVTEST_FORCE:-}" != "1" ] && binaries_work "${DEST}"; then
    log "built meanwhile: ${DEST}"
    echo "${DEST}" >&3
    exit 0
  fi
fi

# --- 3. build -----------------------------------------------------------------------------------------
step "check the Go toolchain"
if [ -z "${GO}" ] || ! "${GO}" version >/dev/null 2>&1; then
  die "no working go command (${GO:-none found}): install Go 1.24 or newer, put it on PATH or set GO=/path/to/go"
fi
log "$("${GO}" version) at ${GO}"
GOFLAGS="$("${GO}" env GOFLAGS) -mod=mod"
export GOFLAGS="${GOFLAGS# }"
export CGO_ENABLED=0
MODCACHE="$("${GO}" env GOMODCACHE)"
BUILDCACHE="$("${GO}" env GOCACHE)"
log "GOMODCACHE=${MODCACHE} GOCACHE=${BUILDCACHE} GOPROXY=$("${GO}" env GOPROXY) GOFLAGS=${GOFLAGS}"
MODCACHE_BEFORE="$(bytes_of "${MODCACHE}")"
BUILDCACHE_BEFORE="$(bytes_of "${BUILDCACHE}")"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/envtest-build.XXXXXX")"
OUT="${TMP}/bin"
mkdir -p "${OUT}" "${TMP}/k8s" "${TMP}/etcd"

step "download k8s.io/kubernetes@v${K8S_VERSION}"
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" "${TMP}/kubernetes-module.json"; }
timed "go mod download k8s.io/kubernetes" "${GO}" -C "${TMP}/k8s" mod download -json \
  "k8s.io/kubernetes@v${K8S_VERSION}" >"${TMP}/kubernetes-module.json" ||
  die "k8s.io/kubernetes@v${K8S_VERSION} could not be downloaded: $(json_field Error)" \
    "(the versions on the proxy: go list -m -versions k8s.io/kubernetes)"
K8S_GOMOD="$(json_field GoMod)"
K8S_INFO="$(json_field Info)"
[ -f "${K8S_GOMOD}" ] || die "no go.mod for k8s.io/kubernetes@v${K8S_VERSION} in the module cache (${K8S_GOMOD})"

step "write the kubernetes scratch module"
# Every "k8s.io/<name> => ./staging/src/k8s.io/<name>" of the release's go.mod becomes a replace by the
# published module of the same release: k8s.io/<name> v0.<minor>.<patch>.
STAGING_VERSION="v0.${K8S_VERSION#*.}"
mapfile -t STAGING < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "${K8S_GOMOD}" | sort -u)
[ "${#STAGING[@]}" -gt 0 ] || die "found no staging replace in ${K8S_GOMOD}"
GO_LINE="$(grep -m1 '^go ' "${K8S_GOMOD}")"
{
  echo "module envtest.local/kubernetes"
  echo
  echo "${GO_LINE}"
  echo
  # Keep the release's GODEBUG defaults (e.g. godebug default=go1.24): they depend on the main module.
  grep '^godebug ' "${K8S_GOMOD}" || true
  echo
  echo "require k8s.io/kubernetes v${K8S_VERSION}"
  echo
  echo "replace ("
  for m in "${STAGING[@]}"; do echo "	${m} => ${m} ${STAGING_VERSION}"; done
  echo ")"
} >"${TMP}/k8s/go.mod"
log "${#STAGING[@]} staging modules replaced by ${STAGING_VERSION}; ${GO_LINE}"

step "download the kube-apiserver, kube-controller-manager and kubectl dependencies"
timed "go get (kubernetes dependencies)" "${GO}" -C "${TMP}/k8s" get \
  "k8s.io/kubernetes/cmd/kube-apiserver@v${K8S_VERSION}" \
  "k8s.io/kubernetes/cmd/kube-controller-manager@v${K8S_VERSION}" \
  "k8s.io/kubernetes/cmd/kubectl@v${K8S_VERSION}"

step "write the etcd scratch module"
"${GO}" -C "${TMP}/etcd" mod init envtest.local/etcd 2>/dev/null
{
  echo
  echo "require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}"
  echo
  # etcd's own go.mod replaces its sibling modules by ../api etc.; pin them to the same release.
  echo "replace ("
  for m in go.etcd.io/etcd/api/v3 go.etcd.io/etcd/client/pkg/v3 go.etcd.io/etcd/client/v3 go.etcd.io/etcd/pkg/v3; do
    echo "	${m} => ${m} v${ETCD_VERSION}"
  done
  echo ")"
} >>"${TMP}/etcd/go.mod"

step "download the etcd dependencies"
timed "go get (etcd dependencies)" "${GO}" -C "${TMP}/etcd" get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"

MODCACHE_AFTER="$(bytes_of "${MODCACHE}")"
log "module cache: $(human "${MODCACHE_AFTER}") ($(human $((MODCACHE_AFTER - MODCACHE_BEFORE))) downloaded now)"

# Version stamps like the release build's hack/lib/version.sh, so that --version and /version tell it.
BUILD_DATE="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${K8S_INFO}" 2>/dev/null || true)"
BUILD_DATE="${BUILD_DATE:-1970-01-01T00:00:00Z}"
K8S_MINOR="${K8S_VERSION#*.}"
K8S_MINOR="${K8S_MINOR%%.*}"
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitMajor=${K8S_VERSION%%.*}"
  LDFLAGS+=" -X ${pkg}.gitMinor=${K8S_MINOR} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${BUILD_DATE}"
done

# kubectl too, as setup-envtest ships it: the tests drive the apiserver with it, and Debian's is too old.
for cmd in kube-apiserver kube-controller-manager kubectl; do
  step "build ${cmd}"
  timed "go build ${cmd}" "${GO}" -C "${TMP}/k8s" build -trimpath -ldflags "${LDFLAGS}" \
    -o "${OUT}/${cmd}" "k8s.io/kubernetes/cmd/${cmd}"
  log "${cmd}: $(human "$(stat -c %s "${OUT}/${cmd}")")"
done

step "build etcd"
timed "go build etcd" "${GO}" -C "${TMP}/etcd" build -trimpath -ldflags "-s -w" \
  -o "${OUT}/etcd" "go.etcd.io/etcd/server/v3"
log "etcd: $(human "$(stat -c %s "${OUT}/etcd")"), $(first_line "${OUT}/etcd" --version)"

BUILDCACHE_AFTER="$(bytes_of "${BUILDCACHE}")"
log "build cache: $(human "${BUILDCACHE_AFTER}") ($(human $((BUILDCACHE_AFTER - BUILDCACHE_BEFORE))) added now)"

step "install into ${DEST}"
binaries_work "${OUT}" || die "the freshly built binaries do not answer --version as expected"
mkdir -p "${DEST}"
STAGE="$(mktemp -d "${DEST}/.staging.XXXXXX")"
for b in "${BINARIES[@]}"; do cp "${OUT}/${b}" "${STAGE}/${b}"; done
for b in "${BINARIES[@]}"; do mv -f "${STAGE}/${b}" "${DEST}/${b}"; done
rmdir "${STAGE}"
binaries_work "${DEST}" || die "the binaries in ${DEST} do not answer --version as expected"
log "done: ${DEST} ($(human "$(bytes_of "${DEST}")"))"
echo "${DEST}" >&3
