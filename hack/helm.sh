#!/usr/bin/env bash
# Provides the helm command for linting and rendering the chart (make chart-lint), and prints the folder
# that holds it as the LAST LINE of standard output (progress and errors go to standard error), so callers
# can do:
#
#   PATH="$(bash hack/helm.sh):$PATH"      # or: "$(make -s helm)"
#
# 1. HELM, when set to the path of an executable that answers `helm version`, is used as it is.
# 2. Otherwise the cached build ${XDG_DATA_HOME:-$HOME/.local/share}/hugr-tools/helm/<version>/helm is
#    used when it runs and reports that version.
# 3. Otherwise it is built offline from the Go module proxy (nothing else is reachable here; Helm's
#    release downloads are not): `go install helm.sh/helm/v3/cmd/helm@<version>` into a temporary folder,
#    stamped like Helm's own Makefile does (its version, and the Kubernetes version of its client-go for
#    the default capabilities and the deprecation lint), then moved into the cache folder.
#
# Environment: HELM (a helm binary to use), HELM_VERSION (default below), GO (the go command),
# HELM_FORCE=1 to rebuild even when cached. GOPATH, GOMODCACHE, GOCACHE, GOPROXY and GOFLAGS are respected.
set -Eeuo pipefail

VERSION="${HELM_VERSION:-v3.22.0}"
VERSION="v${VERSION#v}"
MODULE="helm.sh/helm/v3"

# Standard output carries only the final path: everything else goes to standard error.
exec 3>&1 1>&2

TMP=""

PROGRESS_NAME=helm
# shellcheck source=hack/progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/progress.sh"
cleanup() {
  if [ -n "${TMP}" ] && [ -d "${TMP}" ]; then rm -rf "${TMP}"; fi
}
trap cleanup EXIT

# The version binary $1 reports, e.g. v3.22.0 (empty when it does not run).
version_of() {
  "$1" version --template '{{ .Version }}' 2>/dev/null || true
}

# True when $1 is an executable helm that reports the wanted version.
helm_works() {
  [ -f "$1" ] && [ -x "$1" ] && [ "$(version_of "$1")" = "${VERSION}" ]
}

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

# --- 1. HELM ------------------------------------------------------------------------------------------
step "check HELM"
if [ -n "${HELM:-}" ]; then
  [ -f "${HELM}" ] && [ -x "${HELM}" ] || die "HELM=${HELM} is not an executable file"
  found="$(version_of "${HELM}")"
  [ -n "${found}" ] || die "HELM=${HELM} does not answer 'helm version'"
  log "HELM=${HELM} (${found}): using it as it is"
  # The folder, so that callers can put it on PATH; a binary not named helm is used through HELM itself.
  [ "$(basename "${HELM}")" = "helm" ] || log "note: ${HELM} is not named helm: callers must use \$HELM, not PATH"
  dirname "${HELM}" >&3
  exit 0
fi

# --- 2. the cache -------------------------------------------------------------------------------------
step "check the cache"
BASE="${XDG_DATA_HOME:-${HOME}/.local/share}/hugr-tools/helm"
DEST="${BASE}/${VERSION}"
if [ "${HELM_FORCE:-}" != "1" ] && helm_works "${DEST}/helm"; then
  log "cached: ${DEST}/helm (${VERSION})"
  echo "${DEST}" >&3
  exit 0
fi
log "not cached in ${DEST}: building ${MODULE}/cmd/helm@${VERSION} from the Go module proxy"

# One build at a time per cache; a build that finishes while we wait is used.
mkdir -p "${BASE}"
exec 9>"${BASE}/.helm-build.lock"
if ! flock -n 9; then
  log "another build holds ${BASE}/.helm-build.lock: waiting"
  flock 9
  if [ "${HELM_FORCE:-}" != "1" ] && helm_works "${DEST}/helm"; then
    log "built meanwhile: ${DEST}"
    echo "${DEST}" >&3
    exit 0
  fi
fi

# --- 3. build -----------------------------------------------------------------------------------------
step "check the Go toolchain"
GO="${GO:-$(command -v go || true)}"
if [ -z "${GO}" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
if [ -z "${GO}" ] || ! "${GO}" version >/dev/null 2>&1; then
  die "no working go command (${GO:-none found}): install Go, put it on PATH or set GO=/path/to/go"
fi
log "$("${GO}" version) at ${GO}"
export CGO_ENABLED=0
log "GOMODCACHE=$("${GO}" env GOMODCACHE) GOCACHE=$("${GO}" env GOCACHE) GOPROXY=$("${GO}" env GOPROXY)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/helm-build.XXXXXX")"

step "download ${MODULE}@${VERSION}"
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" "${TMP}/helm-module.json"; }
timed "go mod download ${MODULE}" "${GO}" -C "${TMP}" mod download -json "${MODULE}@${VERSION}" \
  >"${TMP}/helm-module.json" ||
  die "${MODULE}@${VERSION} could not be downloaded: $(json_field Error)" \
    "(the versions on the proxy: go list -m -versions ${MODULE}; set HELM_VERSION)"
HELM_GOMOD="$(json_field GoMod)"
[ -f "${HELM_GOMOD}" ] || die "no go.mod for ${MODULE}@${VERSION} in the module cache (${HELM_GOMOD})"
log "$(grep -m1 '^go ' "${HELM_GOMOD}") in ${MODULE}@${VERSION}'s go.mod"

# Like Helm's Makefile: the Kubernetes version that `helm lint` and `helm template` assume without a
# cluster is the one of the client-go it was built with (v0.X.Y gives 1.X); unstamped it would be 1.20.
CLIENT_GO="$(sed -n 's#^[[:space:]]*k8s\.io/client-go[[:space:]]\{1,\}v\([0-9]*\)\.\([0-9]*\)\..*#\1 \2#p' "${HELM_GOMOD}")"
[ -n "${CLIENT_GO}" ] || die "no k8s.io/client-go requirement in ${HELM_GOMOD}"
K8S_MAJOR="$((${CLIENT_GO%% *} + 1))"
K8S_MINOR="${CLIENT_GO##* }"
LDFLAGS="-s -w -X ${MODULE}/internal/version.version=${VERSION} -X ${MODULE}/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  LDFLAGS+=" -X ${MODULE}/${pkg}.k8sVersionMajor=${K8S_MAJOR} -X ${MODULE}/${pkg}.k8sVersionMinor=${K8S_MINOR}"
done
log "default Kubernetes version for lint and template: v${K8S_MAJOR}.${K8S_MINOR}"

step "build helm"
# go install of module@version ignores any go.mod around it, and Helm's go.mod has no replace directives.
timed "go install ${MODULE}/cmd/helm@${VERSION}" env GOBIN="${TMP}/bin" \
  "${GO}" -C "${TMP}" install -trimpath -ldflags "${LDFLAGS}" "${MODULE}/cmd/helm@${VERSION}"
helm_works "${TMP}/bin/helm" ||
  die "the freshly built helm reports '$(version_of "${TMP}/bin/helm")', expected ${VERSION}"

step "install into ${DEST}"
mkdir -p "${DEST}"
cp "${TMP}/bin/helm" "${DEST}/.helm.tmp"
mv -f "${DEST}/.helm.tmp" "${DEST}/helm"
helm_works "${DEST}/helm" || die "${DEST}/helm does not report ${VERSION}"
log "done: ${DEST}/helm ($(numfmt --to=iec-i --suffix=B --format='%.1f' "$(stat -c %s "${DEST}/helm")"))"
echo "${DEST}" >&3
