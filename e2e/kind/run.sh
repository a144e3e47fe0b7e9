#!/usr/bin/env bash
# The end-to-end suite on a kind cluster: the operator and worker images built from this repository,
# the Helm chart, PostgreSQL and Redis in the cluster, a HugrCluster of two workers with its L1 and L2
# (Redis) caches on, then the scenarios of e2e/scenarios (e2e/kind/run-scenarios.ts). Needs Docker, kind, kubectl and helm; see README.md.
#
#   bash e2e/kind/run.sh                      # everything; deletes the kind cluster at the end
#   KEEP_CLUSTER=1 bash e2e/kind/run.sh       # keeps it (and reuses it on the next run)
#   bash e2e/kind/run.sh "HugrObjectStorage"  # only the scenarios whose name contains an argument
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

CLUSTER_NAME="${KIND_CLUSTER_NAME:-hugr-e2e}"
KEEP_CLUSTER="${KEEP_CLUSTER:-0}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-}"          # kindest/node:vX.Y.Z; kind's default when empty
KIND_CONFIG="${KIND_CONFIG:-}"                  # a kind cluster configuration file; kind's default when empty
# Images of the local Docker to load into the cluster before anything starts (no registry needed for them).
KIND_LOAD_IMAGES="${KIND_LOAD_IMAGES:-}"
DOCKER_BUILD_FLAGS="${DOCKER_BUILD_FLAGS:-}"    # more flags of `docker build`, e.g. --network host
OPERATOR_IMAGE="${OPERATOR_IMAGE:-hugr-operator}"
WORKER_IMAGE="${WORKER_IMAGE:-hugr-worker}"
POSTGRES_IMAGE="${POSTGRES_IMAGE:-postgres:16}"
REDIS_IMAGE="${REDIS_IMAGE:-redis:7}"              # any image with redis-server and redis-cli on PATH
OPERATOR_NAMESPACE="${E2E_OPERATOR_NAMESPACE:-hugr-system}"
RELEASE="hugr-operator"                          # the operator's Service is then hugr-operator
NAMESPACE="${E2E_NAMESPACE:-hugr-e2e}"
HUGR_CLUSTER="${E2E_CLUSTER:-demo}"
REPLICAS=2
WAIT="${E2E_WAIT:-300s}"                         # each rollout and readiness wait
WORK_DIR="${E2E_WORK_DIR:-$ROOT/.tmp/kind-e2e}"

# A kubeconfig of its own: the user's ~/.kube/config and current context are left alone.
export KUBECONFIG="$WORK_DIR/kubeconfig"
# The repository's pinned Node.js 24 (and tsx) for the scenarios.
export PATH="$ROOT/node_modules/.bin:$PATH"

log() { printf '\n[kind-e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[kind-e2e] error: %s\n' "$*" >&2; exit 1; }

# --- requirements -------------------------------------------------------------------------------
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH (README.md lists the requirements)"
done
docker info >/dev/null 2>&1 || die "docker cannot reach a container engine (is the Docker daemon running?)"
[ -x "$ROOT/node_modules/.bin/tsx" ] || die "node_modules is missing: run 'npm ci' in $ROOT first"
mkdir -p "$WORK_DIR"

# --- clean-up on exit ---------------------------------------------------------------------------
diagnostics() {
  local dir="$WORK_DIR/diagnostics"
  rm -rf "$dir" && mkdir -p "$dir"
  log "collecting diagnostics into $dir"
  kubectl get all,hugrclusters,hugrdatasources,hugrobjectstorages,leases -A -o wide >"$dir/objects.txt" 2>&1 || true
  kubectl get hugrclusters,hugrdatasources,hugrobjectstorages -A -o yaml >"$dir/hugr-resources.yaml" 2>&1 || true
  kubectl get events -A --sort-by=.lastTimestamp >"$dir/events.txt" 2>&1 || true
  kubectl describe pods -n "$OPERATOR_NAMESPACE" >"$dir/operator-pods.txt" 2>&1 || true
  kubectl describe pods -n "$NAMESPACE" >"$dir/workload-pods.txt" 2>&1 || true
  kubectl logs -n "$OPERATOR_NAMESPACE" -l app.kubernetes.io/name=hugr-operator --tail=-1 --prefix \
    >"$dir/operator.log" 2>&1 || true
  kubectl logs -n "$NAMESPACE" -l "app.kubernetes.io/instance=$HUGR_CLUSTER,app.kubernetes.io/name=hugr-worker" \
    --tail=-1 --prefix --max-log-requests=20 >"$dir/workers.log" 2>&1 || true
  kubectl logs -n "$NAMESPACE" deploy/postgres --tail=200 >"$dir/postgres.log" 2>&1 || true
  kubectl logs -n "$NAMESPACE" deploy/redis --tail=200 >"$dir/redis.log" 2>&1 || true
}

CLUSTER_IN_USE=0
cleanup() {
  local code=$?
  trap - EXIT
  if [ "$CLUSTER_IN_USE" = 1 ]; then
    [ "$code" -eq 0 ] || diagnostics
    if [ "$KEEP_CLUSTER" = 1 ]; then
      log "KEEP_CLUSTER=1: kind cluster '$CLUSTER_NAME' kept; KUBECONFIG=$KUBECONFIG"
      log "delete it with: kind delete cluster --name $CLUSTER_NAME"
    else
      log "deleting kind cluster '$CLUSTER_NAME' (KEEP_CLUSTER=1 keeps it)"
      kind delete cluster --name "$CLUSTER_NAME" || true
      rm -f "$KUBECONFIG"
    fi
  fi
  if [ "$code" -eq 0 ]; then log "PASSED"; else log "FAILED (exit $code)"; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the kind cluster ---------------------------------------------------------------------------
# grep without -q reads all its input: no SIGPIPE for kind to turn into a pipefail.
if kind get clusters 2>/dev/null | grep -x "$CLUSTER_NAME" >/dev/null; then
  log "reusing kind cluster '$CLUSTER_NAME'"
  CLUSTER_IN_USE=1
  kind get kubeconfig --name "$CLUSTER_NAME" >"$KUBECONFIG"
else
  log "creating kind cluster '$CLUSTER_NAME'"
  CLUSTER_IN_USE=1
  kind create cluster --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG" --wait 120s \
    ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} ${KIND_CONFIG:+--config "$KIND_CONFIG"}
fi
kubectl cluster-info >/dev/null
if [ -n "$KIND_LOAD_IMAGES" ]; then
  log "kind load docker-image $KIND_LOAD_IMAGES"
  # shellcheck disable=SC2086 # a list of image names
  kind load docker-image --name "$CLUSTER_NAME" $KIND_LOAD_IMAGES
fi

# --- metrics-server, for the HorizontalPodAutoscaler ---------------------------------------------
log "metrics-server (e2e/kind/metrics-server.yaml)"
kubectl apply --server-side -f "$ROOT/e2e/kind/metrics-server.yaml"
kubectl rollout status -n kube-system deployment/metrics-server --timeout="$WAIT"

# --- images -------------------------------------------------------------------------------------
# Each image is tagged with its own content id, so a rebuilt image changes the pod templates and a
# reused cluster rolls the operator and the workers onto it.
IMAGE_REF=""
build_image() { # name dockerfile; sets IMAGE_REF to name:e2e-<id>
  local name="$1" dockerfile="$2" id
  if [ "${SKIP_BUILD:-0}" = 1 ]; then
    log "SKIP_BUILD=1: using the existing image $name:e2e"
  else
    log "docker build -f $dockerfile -t $name:e2e"
    # shellcheck disable=SC2086 # a list of flags
    docker build $DOCKER_BUILD_FLAGS -f "$ROOT/$dockerfile" -t "$name:e2e" "$ROOT"
  fi
  id="$(docker image inspect --format '{{.Id}}' "$name:e2e")"
  id="${id#sha256:}"
  IMAGE_REF="$name:e2e-${id:0:12}"
  docker tag "$name:e2e" "$IMAGE_REF"
}
build_image "$OPERATOR_IMAGE" Dockerfile.operator
OPERATOR_REF="$IMAGE_REF"
build_image "$WORKER_IMAGE" Dockerfile.worker
WORKER_REF="$IMAGE_REF"
log "kind load docker-image $OPERATOR_REF $WORKER_REF"
kind load docker-image --name "$CLUSTER_NAME" "$OPERATOR_REF" "$WORKER_REF"

# --- a clean namespace --------------------------------------------------------------------------
if kubectl get namespace "$NAMESPACE" >/dev/null 2>&1; then
  log "removing the namespace '$NAMESPACE' left by an earlier run"
  # The operator of that run unloads its data sources and storages (their finalizers) first, then
  # removes its clusters' nodes from the core database (theirs).
  if kubectl get crd hugrdatasources.hugr.io >/dev/null 2>&1; then
    for kinds in hugrdatasources,hugrobjectstorages hugrclusters; do
      if ! kubectl delete "$kinds" --all -n "$NAMESPACE" --timeout=60s; then
        log "finalizers did not finish: removing them"
        for resource in $(kubectl get "$kinds" -n "$NAMESPACE" -o name); do
          kubectl patch "$resource" -n "$NAMESPACE" --type merge -p '{"metadata":{"finalizers":null}}' || true
        done
      fi
    done
  fi
  kubectl delete namespace "$NAMESPACE" --timeout="$WAIT"
fi
kubectl create namespace "$NAMESPACE"

# --- PostgreSQL: the core database, and the database of the scenarios' data sources ------------
log "PostgreSQL ($POSTGRES_IMAGE) in '$NAMESPACE'"
PG_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
kubectl create secret generic postgres -n "$NAMESPACE" --from-literal=password="$PG_PASSWORD"
# The operator (another namespace) connects to the core database too: a name that resolves from there.
kubectl create secret generic hugr-db -n "$NAMESPACE" \
  --from-literal=url="postgres://hugr:$PG_PASSWORD@postgres.$NAMESPACE.svc:5432/hugr"
kubectl label secret hugr-db -n "$NAMESPACE" hugr.io/reload=true
kubectl apply -n "$NAMESPACE" -f - <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: postgres-init
data:
  # Runs once, at the first start: the database "analytics" of the scenarios' data sources, owned by a
  # role without a password that only that database trusts, so their DSN carries no credentials. Its
  # table and rows are those of e2e/scenarios/events-source.ts (the envtest suites' fixture).
  10-analytics.sh: |
    #!/bin/bash
    set -euo pipefail
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
    CREATE ROLE analytics LOGIN;
    CREATE DATABASE analytics OWNER analytics;
    SQL
    psql -v ON_ERROR_STOP=1 --username analytics --dbname analytics <<'SQL'
    CREATE TABLE events (id integer PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now());
    INSERT INTO events (id, name) VALUES (1, 'first'), (2, 'second');
    SQL
    sed -i '1i host analytics analytics all trust' "$PGDATA/pg_hba.conf"
EOF
kubectl apply -n "$NAMESPACE" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: postgres
  labels: { app: postgres }
spec:
  replicas: 1
  selector:
    matchLabels: { app: postgres }
  template:
    metadata:
      labels: { app: postgres }
    spec:
      containers:
        - name: postgres
          image: $POSTGRES_IMAGE
          env:
            - { name: POSTGRES_USER, value: hugr }
            - { name: POSTGRES_DB, value: hugr }
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef: { name: postgres, key: password }
          ports:
            - { name: postgres, containerPort: 5432 }
          # Over TCP: the entrypoint's temporary server during initialisation listens on the socket only.
          readinessProbe:
            exec:
              command: ["pg_isready", "--host=127.0.0.1", "--username=hugr", "--dbname=hugr"]
            periodSeconds: 2
            failureThreshold: 60
          volumeMounts:
            - { name: data, mountPath: /var/lib/postgresql/data }
            - { name: init, mountPath: /docker-entrypoint-initdb.d }
      volumes:
        - name: data
          emptyDir: {}
        - name: init
          configMap:
            name: postgres-init
            defaultMode: 0555
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
spec:
  selector: { app: postgres }
  ports:
    - { name: postgres, port: 5432, targetPort: postgres }
EOF
kubectl rollout status -n "$NAMESPACE" deployment/postgres --timeout="$WAIT"

# --- Redis: the workers' L2 cache, behind requirepass -------------------------------------------
# The password lives in the Secret redis only: the server reads it from its configuration file, a key of
# that Secret mounted as a file (not from its command line, which `ps` shows), redis-cli from
# REDISCLI_AUTH, and the HugrCluster names it in spec.cache.l2.passwordSecretRef.
log "Redis ($REDIS_IMAGE) in '$NAMESPACE'"
REDIS_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
kubectl create secret generic redis -n "$NAMESPACE" --from-literal=password="$REDIS_PASSWORD" \
  --from-file=redis.conf=<(printf '%s\n' 'bind 0.0.0.0' 'port 6379' 'dir /data' 'save ""' 'appendonly no' \
    "requirepass $REDIS_PASSWORD")
unset REDIS_PASSWORD
kubectl apply -n "$NAMESPACE" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
  labels: { app: redis }
spec:
  replicas: 1
  selector:
    matchLabels: { app: redis }
  template:
    metadata:
      labels: { app: redis }
    spec:
      automountServiceAccountToken: false
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: redis
          image: $REDIS_IMAGE
          imagePullPolicy: IfNotPresent
          command: ["redis-server", "/etc/redis/redis.conf"]
          env:
            - name: REDISCLI_AUTH
              valueFrom:
                secretKeyRef: { name: redis, key: password }
          ports:
            - { name: redis, containerPort: 6379 }
          readinessProbe:
            exec:
              command: ["sh", "-c", "[ \"\$(redis-cli ping)\" = PONG ]"]
            periodSeconds: 2
            failureThreshold: 30
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: ["ALL"] }
          volumeMounts:
            - { name: data, mountPath: /data }
            - { name: config, mountPath: /etc/redis, readOnly: true }
      volumes:
        - name: data
          emptyDir: {}
        - name: config
          secret:
            secretName: redis
            items: [{ key: redis.conf, path: redis.conf }]
---
apiVersion: v1
kind: Service
metadata:
  name: redis
spec:
  selector: { app: redis }
  ports:
    - { name: redis, port: 6379, targetPort: redis }
EOF
kubectl rollout status -n "$NAMESPACE" deployment/redis --timeout="$WAIT"

# --- the operator -------------------------------------------------------------------------------
# Helm installs crds/ on the first install only; applying them first keeps a reused cluster current.
log "CRDs and the operator chart (release '$RELEASE' in '$OPERATOR_NAMESPACE', image $OPERATOR_REF)"
kubectl apply --server-side --force-conflicts -f "$ROOT/crds/"
kubectl wait --for=condition=Established --timeout=60s \
  crd/hugrclusters.hugr.io crd/hugrdatasources.hugr.io crd/hugrobjectstorages.hugr.io
helm upgrade --install "$RELEASE" "$ROOT/charts/hugr-operator" \
  --namespace "$OPERATOR_NAMESPACE" --create-namespace \
  --set image.repository="${OPERATOR_REF%:*}" \
  --set image.tag="${OPERATOR_REF##*:}" \
  --set image.pullPolicy=IfNotPresent \
  --set operator.logLevel=debug \
  --wait --timeout "$WAIT"
kubectl rollout status -n "$OPERATOR_NAMESPACE" "deployment/$RELEASE" --timeout="$WAIT"
log "waiting for a leader (the pod labelled hugr.io/leader=true, which the Service selects)"
deadline=$((SECONDS + 120))
until [ -n "$(kubectl get pods -n "$OPERATOR_NAMESPACE" -l hugr.io/leader=true -o name)" ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "no operator replica took the lead within 120 s"
  sleep 2
done
kubectl get pods -n "$OPERATOR_NAMESPACE" -L hugr.io/leader

# --- the HugrCluster ----------------------------------------------------------------------------
# Authentication on: the admin's secret key in the Secret hugr-auth (e2e/scenarios/auth.ts reads it
# from there and sends it; its authentication scenario rotates it), labelled so that a change reaches
# the cluster at once. Anonymous requests then have role public.
kubectl create secret generic hugr-auth -n "$NAMESPACE" \
  --from-literal=secret-key="e2e-sk-$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
kubectl label secret hugr-auth -n "$NAMESPACE" hugr.io/reload=true
log "HugrCluster '$HUGR_CLUSTER' with $REPLICAS workers (image $WORKER_REF), authentication and the cache on"
kubectl apply --server-side -n "$NAMESPACE" -f - <<EOF
apiVersion: hugr.io/v1alpha1
kind: HugrCluster
metadata:
  name: $HUGR_CLUSTER
spec:
  image: $WORKER_REF
  imagePullPolicy: IfNotPresent
  replicas: $REPLICAS
  coreDB:
    urlSecretRef: { name: hugr-db, key: url }
  auth:
    secretKeySecretRef: { name: hugr-auth, key: secret-key }
  # L1 in each worker, L2 shared on the Redis above (its invalidations over Redis pub/sub).
  cache:
    ttl: 5m
    l1: { enabled: true, maxSizeMB: 64 }
    l2:
      enabled: true
      backend: redis
      addresses: ["redis.$NAMESPACE.svc:6379"]
      passwordSecretRef: { name: redis, key: password }
  resources:
    requests: { cpu: 100m, memory: 128Mi }
    limits: { memory: 512Mi }
  env:
    - { name: LOG_LEVEL, value: debug }
EOF
kubectl wait --for=condition=Ready "hugrcluster/$HUGR_CLUSTER" -n "$NAMESPACE" --timeout="$WAIT"
kubectl get hugr -n "$NAMESPACE"

# --- the scenarios ------------------------------------------------------------------------------
log "scenarios (e2e/scenarios, through e2e/kind/run-scenarios.ts)"
cd "$ROOT"
E2E_NAMESPACE="$NAMESPACE" E2E_CLUSTER="$HUGR_CLUSTER" E2E_REPLICAS="$REPLICAS" \
  E2E_OPERATOR_NAMESPACE="$OPERATOR_NAMESPACE" \
  E2E_DATA_SOURCE_PATH="postgres://analytics@postgres.$NAMESPACE.svc:5432/analytics" \
  npx tsx e2e/kind/run-scenarios.ts "$@"
