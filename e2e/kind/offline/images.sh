#!/usr/bin/env bash
# Builds, once, the images the kind suite needs on a machine that reaches no container registry, into the
# private dockerd (daemons.sh up; its data root is cached, so later runs find them):
#   debian:bookworm-slim            debootstrap --variant=minbase from the Debian mirror
#   node:24-bookworm-slim           the FROM of Dockerfile.operator and Dockerfile.worker (files/node.Dockerfile)
#   hugr.local/postgres:15-bookworm Debian's PostgreSQL (files/postgres.Dockerfile)
#   hugr.local/redis:7-bookworm     Debian's Redis, the workers' L2 cache (files/redis.Dockerfile)
#   hugr.local/kind-base:<kind>     kind's base image: Debian with systemd, containerd 1.6, runc, the CNI
#                                   plugins, kind's own files, and the preloaded etcd, pause and CoreDNS
#   hugr.local/kind-node:v<k8s>     `kind build node-image` from a server tarball of local binaries, with
#                                   kind's StorageClass but not its local-path provisioner (not buildable here)
#   registry.k8s.io/metrics-server/metrics-server:<version>   for the HPA (e2e/kind/metrics-server.yaml)
# KIND_OFFLINE_FORCE=1 builds them again.
#
#   bash e2e/kind/offline/images.sh
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FILES="${OFFLINE_DIR}/files"
# etcd, kube-apiserver, kube-controller-manager and kubectl: run.sh passes their folder; else hack/envtest.sh.
ENVTEST_DIR="${ENVTEST_DIR:-}"
rm -rf "${CACHE}"/images-work.* # what a killed run left behind
WORK="$(mktemp -d "${CACHE}/images-work.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT

# Each image is rebuilt when what it is made of changes: its inputs' digest (the versions of lib.sh, and
# the files given) is kept beside its image id in $CACHE/stamps.
STAMPS="${CACHE}/stamps"
mkdir -p "${STAMPS}"
inputs() { # FILE...: the digest of lib.sh's settings and of the files
  { grep -E '^[A-Z_]+=' "${OFFLINE_DIR}/lib.sh"; cat "$@"; } | sha256sum | cut -c1-16
}
stamp_file() { echo "${STAMPS}/$(echo "$1" | tr '/:' '__')"; }
# have_image TAG INPUTS: the image exists, built from these inputs.
have_image() {
  local id
  [ "${KIND_OFFLINE_FORCE:-0}" != 1 ] || return 1
  id="$(docker image inspect --format '{{.Id}}' "$1" 2>/dev/null)" || return 1
  [ "$(cat "$(stamp_file "$1")" 2>/dev/null)" = "$2 ${id}" ]
}
# stamp TAG INPUTS: records that the image now is built from these inputs.
stamp() { echo "$2 $(docker image inspect --format '{{.Id}}' "$1")" >"$(stamp_file "$1")"; }

# The Debian mirror apt uses here (the suite's images and debootstrap need nothing else).
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then
    echo "${DEBIAN_MIRROR}"
    return
  fi
  local uri
  uri="$(grep -rhoE '^URIs: *http[^ ]*/debian/?$|^deb +http[^ ]*/debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    head -n1 | grep -oE 'http[^ ]*' || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

# rootfs NAME PACKAGES: a Debian root file system (debootstrap minbase) in $CACHE/rootfs/NAME, kept.
rootfs() {
  local target="${CACHE}/rootfs/$1"
  if [ -f "${target}/.complete" ] && [ "${KIND_OFFLINE_FORCE:-0}" != 1 ]; then
    echo "${target}"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (Debian package debootstrap)"
  rm -rf "${target}"
  mkdir -p "$(dirname "${target}")"
  log "debootstrap ${DEBIAN_SUITE} ($1) from $(debian_mirror)"
  logged "debootstrap-$1" debootstrap --variant=minbase --include="$2" "${DEBIAN_SUITE}" "${target}" "$(debian_mirror)"
  # What an image does not need: the downloaded packages, the package lists, documentation.
  rm -rf "${target}"/var/cache/apt/archives/*.deb "${target}"/var/lib/apt/lists/* "${target}"/usr/share/doc/* \
    "${target}"/usr/share/man/*
  touch "${target}/.complete"
  echo "${target}"
}

# import DIR TAG CHANGE...: a one-layer image of the folder DIR.
import() {
  local dir="$1" tag="$2"
  shift 2
  local changes=() change
  for change in "$@"; do changes+=(--change "${change}"); done
  tar --numeric-owner -C "${dir}" -c . | docker import "${changes[@]}" - "${tag}" >/dev/null
  log "image ${tag} ($(docker image inspect --format '{{.Size}}' "${tag}" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

# build TAG DOCKERFILE CONTEXT: docker build with the host's network (dockerd runs with --bridge=none).
build() {
  log "docker build $2 -> $1"
  DOCKER_BUILDKIT=0 logged "build-${1//[:\/]/_}" docker build --network host -f "$2" -t "$1" "$3"
}

# A minimal root file system for a static Go binary: passwd, group, CA certificates, /tmp.
static_rootfs() {
  local dir
  dir="$(mktemp -d "${WORK}/rootfs.XXXXXX")"
  mkdir -p "${dir}/usr/local/bin" "${dir}/etc/ssl/certs" "${dir}/tmp" "${dir}/var/run"
  chmod 1777 "${dir}/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"${dir}/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"${dir}/etc/group"
  echo 'hosts: files dns' >"${dir}/etc/nsswitch.conf"
  cp /etc/ssl/certs/ca-certificates.crt "${dir}/etc/ssl/certs/"
  echo "${dir}"
}

# static_image TAG BINARY PATH-IN-IMAGE [OUT.tar]: a one-layer image of one static binary.
static_image() {
  local dir
  dir="$(static_rootfs)"
  mkdir -p "${dir}$(dirname "$3")"
  cp "$2" "${dir}$3"
  import "${dir}" "$1" "ENTRYPOINT [\"$3\"]"
  [ -z "${4:-}" ] || docker save -o "$4" "$1"
}

debian_image() {
  local key
  key="$(inputs /dev/null)"
  have_image "${DEBIAN_IMAGE}" "${key}" && return 0
  step "image ${DEBIAN_IMAGE}"
  local dir
  dir="$(rootfs debian ca-certificates)"
  import "${dir}" "${DEBIAN_IMAGE}" 'CMD ["bash"]'
  stamp "${DEBIAN_IMAGE}" "${key}"
}

node_js_image() {
  local key
  key="$(echo "${NPM_VERSION} $(docker image inspect --format '{{.Id}}' "${DEBIAN_IMAGE}")" | inputs "${FILES}/node.Dockerfile" "${ROOT}/node_modules/node/package.json" - \
    $(find /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null))"
  have_image "${NODE_JS_IMAGE}" "${key}" && return 0
  step "image ${NODE_JS_IMAGE} (Node.js $("${ROOT}/node_modules/.bin/node" --version), npm ${NPM_VERSION})"
  local context="${WORK}/node"
  mkdir -p "${context}"
  cp "$(readlink -f "${ROOT}/node_modules/.bin/node")" "${context}/node"
  (cd "${context}" && logged npm-pack npm pack --silent "npm@${NPM_VERSION}")
  mkdir -p "${context}/npm"
  tar -C "${context}/npm" --strip-components=1 -xzf "${context}/npm-${NPM_VERSION}.tgz"
  mkdir -p "${context}/ca-certificates"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "${context}/ca-certificates/" \; 2>/dev/null || true
  cp "${FILES}/node.Dockerfile" "${context}/Dockerfile"
  build "${NODE_JS_IMAGE}" "${context}/Dockerfile" "${context}"
  stamp "${NODE_JS_IMAGE}" "${key}"
}

postgres_image() {
  local key
  key="$(docker image inspect --format '{{.Id}}' "${DEBIAN_IMAGE}" |
    inputs - "${FILES}/postgres.Dockerfile" "${FILES}/postgres-entrypoint.sh")"
  have_image "${POSTGRES_IMAGE_LOCAL}" "${key}" && return 0
  step "image ${POSTGRES_IMAGE_LOCAL}"
  local context="${WORK}/postgres"
  mkdir -p "${context}"
  cp "${FILES}/postgres.Dockerfile" "${context}/Dockerfile"
  cp "${FILES}/postgres-entrypoint.sh" "${context}/"
  build "${POSTGRES_IMAGE_LOCAL}" "${context}/Dockerfile" "${context}"
  stamp "${POSTGRES_IMAGE_LOCAL}" "${key}"
}

redis_image() {
  local key
  key="$(docker image inspect --format '{{.Id}}' "${DEBIAN_IMAGE}" | inputs - "${FILES}/redis.Dockerfile")"
  have_image "${REDIS_IMAGE_LOCAL}" "${key}" && return 0
  step "image ${REDIS_IMAGE_LOCAL}"
  local context="${WORK}/redis"
  mkdir -p "${context}"
  cp "${FILES}/redis.Dockerfile" "${context}/Dockerfile"
  build "${REDIS_IMAGE_LOCAL}" "${context}/Dockerfile" "${context}"
  stamp "${REDIS_IMAGE_LOCAL}" "${key}"
}

metrics_server_image() {
  local key
  key="$(inputs "${BIN}/metrics-server")"
  have_image "${METRICS_SERVER_IMAGE}" "${key}" && return 0
  step "image ${METRICS_SERVER_IMAGE}"
  static_image "${METRICS_SERVER_IMAGE}" "${BIN}/metrics-server" /metrics-server
  stamp "${METRICS_SERVER_IMAGE}" "${key}"
}

# kind's base image (its images/base, rebuilt from Debian packages): systemd, containerd 1.6, runc and
# the CNI plugins from Debian, kind's files from the kind module, and three adaptations for offline use
# and for hosts without CAP_SYS_RESOURCE (see the comments below).
kind_base_image() {
  have_image "${BASE_IMAGE}" "${BASE_KEY}" && return 0
  step "image ${BASE_IMAGE}"
  local packages="systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod"
  packages+=",libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,containerd,runc"
  packages+=",containernetworking-plugins,socat,ebtables"
  local source kind_files rootfs_dir
  source="$(rootfs kind-node "${packages}")"
  rootfs_dir="${WORK}/kind-base"
  log "copying the root file system"
  cp -a "${source}" "${rootfs_dir}"
  rm -f "${rootfs_dir}/.complete"
  kind_files="$(go env GOMODCACHE)/sigs.k8s.io/kind@${KIND_VERSION}/images/base/files"
  [ -d "${kind_files}" ] || logged kind-module go mod download "sigs.k8s.io/kind@${KIND_VERSION}"
  local R="${rootfs_dir}" F="${kind_files}"
  cp "${F}"/usr/local/bin/* "${R}/usr/local/bin/"
  mkdir -p "${R}/kind" "${R}/LICENSES" "${R}/etc/containerd" "${R}/etc/default" "${R}/etc/sysctl.d" \
    "${R}/etc/systemd/system/kubelet.service.d" "${R}/etc/kubernetes/manifests" "${R}/opt/cni/bin"
  cp -r "${F}"/kind/* "${R}/kind/"
  cp "${F}/etc/crictl.yaml" "${R}/etc/"
  cp "${F}"/etc/containerd/* "${R}/etc/containerd/"
  cp "${F}"/etc/default/* "${R}/etc/default/"
  cp "${F}"/etc/sysctl.d/* "${R}/etc/sysctl.d/"
  cp "${F}"/etc/systemd/system/*.service "${F}"/etc/systemd/system/*.slice "${R}/etc/systemd/system/"
  cp "${F}"/etc/systemd/system/kubelet.service.d/* "${R}/etc/systemd/system/kubelet.service.d/"
  chmod -R u+w "${R}/kind" "${R}/etc" "${R}/usr/local/bin"
  chmod 755 "${R}"/usr/local/bin/* "${R}/kind/bin" "${R}"/kind/bin/*
  # Debian's containerd is in /usr/bin; kind's units start /usr/local/bin/containerd.
  ln -sf /usr/bin/containerd "${R}/usr/local/bin/containerd"
  # Without CAP_SYS_RESOURCE no process may lower its oom_score_adj: containerd must not try (its unit's
  # OOMScoreAdjust, and the CRI's restrict_oom_score_adj for the containers it starts). Harmless elsewhere.
  sed -i 's/^OOMScoreAdjust=/#OOMScoreAdjust=/' "${R}/etc/systemd/system/containerd.service"
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "${R}/etc/containerd/config.toml"
  local plugin
  for plugin in host-local loopback ptp portmap bridge; do cp "${R}/usr/lib/cni/${plugin}" "${R}/opt/cni/bin/"; done
  cp "${BIN}/crictl" "${R}/usr/local/bin/"
  # Offline: `kind build node-image` fetches the images it did not build through ctr; the shim imports
  # them from /kind/preload instead (files/ctr-shim).
  cp "${FILES}/ctr-shim" "${R}/usr/local/bin/ctr"
  mkdir -p "${R}/kind/preload"
  cp "${WORK}"/preload/*.tar "${R}/kind/preload/"
  # As kind's base image Dockerfile does.
  find "${R}/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
  rm -f "${R}"/lib/systemd/system/multi-user.target.wants/* "${R}"/etc/systemd/system/*.wants/* \
    "${R}"/lib/systemd/system/local-fs.target.wants/* "${R}"/lib/systemd/system/sockets.target.wants/*udev* \
    "${R}"/lib/systemd/system/sockets.target.wants/*initctl* "${R}"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"${R}/etc/systemd/journald.conf"
  logged kind-base-systemctl chroot "${R}" sh -c \
    'systemctl enable kubelet.service containerd.service undo-mount-hacks.service && systemctl mask systemd-binfmt.service'
  chroot "${R}" sh -c '/usr/bin/ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer | length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" | jq "del(.process.rlimits)" > /etc/containerd/cri-base.json'
  import "${R}" "${BASE_IMAGE}-rootfs"
  # docker import takes no STOPSIGNAL: a one-line build on top (systemd stops on SIGRTMIN+3).
  mkdir -p "${WORK}/kind-base-config"
  printf 'FROM %s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\n' \
    "${BASE_IMAGE}-rootfs" >"${WORK}/kind-base-config/Dockerfile"
  build "${BASE_IMAGE}" "${WORK}/kind-base-config/Dockerfile" "${WORK}/kind-base-config"
  docker image rm "${BASE_IMAGE}-rootfs" >/dev/null
  stamp "${BASE_IMAGE}" "${BASE_KEY}"
}

# The archives kind's node image preloads (etcd, pause, CoreDNS): one-layer images of local binaries,
# tagged as kubeadm v1.34 names them.
preload_archives() {
  mkdir -p "${WORK}/preload"
  static_image "registry.k8s.io/etcd:${ETCD_IMAGE_TAG}" "${ENVTEST_DIR}/etcd" /usr/local/bin/etcd "${WORK}/preload/etcd.tar"
  gcc_pause
  local tag
  for tag in "${PAUSE_IMAGE_TAGS[@]}"; do
    static_image "registry.k8s.io/pause:${tag}" "${WORK}/pause-build/pause" /pause "${WORK}/preload/pause-${tag}.tar"
  done
  static_image "registry.k8s.io/coredns/coredns:${COREDNS_VERSION}" "${BIN}/coredns" /coredns "${WORK}/preload/coredns.tar"
}

# The pause container: a static C program that sleeps and reaps (as Kubernetes' own build/pause/linux/pause.c).
gcc_pause() {
  mkdir -p "${WORK}/pause-build"
  cat >"${WORK}/pause-build/pause.c" <<'C'
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int signal_number) { (void)signal_number; exit(0); }
static void reap(int signal_number) { (void)signal_number; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction on_stop = {.sa_handler = stop};
  sigaction(SIGINT, &on_stop, NULL);
  sigaction(SIGTERM, &on_stop, NULL);
  struct sigaction on_child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGCHLD, &on_child, NULL);
  for (;;) pause();
}
C
  logged gcc-pause gcc -static -O2 -o "${WORK}/pause-build/pause" "${WORK}/pause-build/pause.c"
}

# The node image: `kind build node-image --type file` from a kubernetes-server tarball of local binaries
# whose control-plane images (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy) are
# one-layer images made here.
node_image() {
  have_image "${NODE_IMAGE}" "${NODE_KEY}" && return 0
  step "image ${NODE_IMAGE} (kind build node-image)"
  local tarball="${WORK}/k8s/kubernetes" command dir
  mkdir -p "${tarball}/server/bin"
  for command in kube-apiserver kube-controller-manager; do
    static_image "registry.k8s.io/${command}:v${K8S_VERSION}" "${ENVTEST_DIR}/${command}" \
      "/usr/local/bin/${command}" "${tarball}/server/bin/${command}.tar"
  done
  static_image "registry.k8s.io/kube-scheduler:v${K8S_VERSION}" "${BIN}/kube-scheduler" \
    /usr/local/bin/kube-scheduler "${tarball}/server/bin/kube-scheduler.tar"
  # kube-proxy needs iptables and conntrack: the kind node's Debian, without the node-only parts.
  dir="${WORK}/kube-proxy"
  mkdir -p "${dir}"
  tar -C "${CACHE}/rootfs/kind-node" --exclude='./usr/bin/containerd*' --exclude=./usr/sbin/runc \
    --exclude=./usr/lib/cni --exclude=./usr/share/locale --exclude=./usr/lib/systemd --exclude=./.complete -c . |
    tar -C "${dir}" -x
  cp "${BIN}/kube-proxy" "${dir}/usr/local/bin/"
  import "${dir}" "registry.k8s.io/kube-proxy:v${K8S_VERSION}" 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]'
  docker save -o "${tarball}/server/bin/kube-proxy.tar" "registry.k8s.io/kube-proxy:v${K8S_VERSION}"
  cp "${BIN}/kubeadm" "${BIN}/kubelet" "${ENVTEST_DIR}/kubectl" "${tarball}/server/bin/"
  echo "v${K8S_VERSION}" >"${tarball}/version"
  tar -C "${WORK}/k8s" -czf "${WORK}/kubernetes-server-linux-amd64.tar.gz" kubernetes
  logged kind-build-node-image "${BIN}/kind" build node-image --type file --base-image "${BASE_IMAGE}" \
    --image "${NODE_IMAGE}-kind" "${WORK}/kubernetes-server-linux-amd64.tar.gz"
  # kind's default storage without the local-path provisioner (files/default-storage.yaml).
  mkdir -p "${WORK}/node-config"
  cp "${FILES}/default-storage.yaml" "${WORK}/node-config/"
  printf 'FROM %s\nCOPY default-storage.yaml /kind/manifests/default-storage.yaml\n' "${NODE_IMAGE}-kind" \
    >"${WORK}/node-config/Dockerfile"
  build "${NODE_IMAGE}" "${WORK}/node-config/Dockerfile" "${WORK}/node-config"
  docker image rm "${NODE_IMAGE}-kind" >/dev/null
  stamp "${NODE_IMAGE}" "${NODE_KEY}"
}

NPM_VERSION="${NPM_VERSION:-11.6.2}"
docker version >/dev/null 2>&1 || die "no dockerd on ${DOCKER_HOST}: run 'bash e2e/kind/offline/daemons.sh up' first"
[ -x "${ROOT}/node_modules/.bin/node" ] || die "node_modules is missing: run 'npm ci' in ${ROOT} first"
debian_image
node_js_image
postgres_image
redis_image
metrics_server_image
# The kind images: the base from kind's files and ours, the node image from the base and the binaries.
BASE_KEY="$(inputs "${BASH_SOURCE[0]}" "${FILES}/ctr-shim" "${BIN}/crictl")"
NODE_KEY="$(echo "${BASE_KEY}" | inputs - "${FILES}/default-storage.yaml" "${BIN}/kubeadm" "${BIN}/kubelet" \
  "${BIN}/kube-proxy" "${BIN}/kube-scheduler" "${BIN}/coredns")"
if ! have_image "${NODE_IMAGE}" "${NODE_KEY}" || ! have_image "${BASE_IMAGE}" "${BASE_KEY}"; then
  if [ -z "${ENVTEST_DIR}" ]; then
    step "envtest binaries (etcd, kube-apiserver, kube-controller-manager, kubectl)"
    ENVTEST_DIR="$(bash "${ROOT}/hack/envtest.sh" 2>"${LOGS}/envtest.log" | tail -n1)" ||
      die "hack/envtest.sh failed; its log is ${LOGS}/envtest.log"
  fi
  step "the images kind preloads (etcd, pause, CoreDNS)"
  preload_archives
  kind_base_image
  node_image
fi
step "images ready"
