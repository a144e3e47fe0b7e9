# Every target runs on the project's pinned Node.js 24 (the npm package `node`), not the machine's.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: all install build typecheck lint format test test-unit test-integration run run-management bench bench-fanout clean schema generate envtest

all: build

install: ## install npm dependencies exactly as locked
	npm ci

build: ## compile the TypeScript workspaces into dist/
	tsc -b protocol coredb common worker operator
	chmod +x worker/dist/main.js operator/dist/main.js

typecheck: ## type-check sources, tests and benchmarks
	tsc -p tsconfig.json --noEmit

lint: typecheck build ## type-aware lint, formatting check, committed schema and CRDs up to date
	eslint .
	prettier --check .
	node worker/dist/tools/print-schema.js --check
	node operator/dist/tools/generate-crds.js --check
	$(MAKE) --no-print-directory chart-lint

format:
	prettier --write .

test: build lint ## the whole suite: unit and integration tiers
	vitest run

test-unit:
	vitest run --project unit

test-integration: build
	vitest run --project integration

run: build ## a single work node on the embedded core database (PGlite in .data/core-db)
	node worker/dist/main.js

schema: build ## regenerate worker/schema.graphql from the Pothos schema
	node worker/dist/tools/print-schema.js --write

generate: build ## regenerate the CRDs (crds/, config/crd/, charts/hugr-operator/crds/) and docs/crds.md from operator/src/api
	node operator/dist/tools/generate-crds.js

bench: build ## worker throughput against a bare graphql-yoga server (needs PostgreSQL binaries)
	tsx bench/worker.ts

bench-fanout: build ## cluster operations on 1-20 work nodes, start-to-ready, failure detection
	tsx bench/fanout.ts

run-management: build ## a standalone management node (CLUSTER_SECRET must be set)
	node operator/dist/main.js

envtest: ## etcd, kube-apiserver, kube-controller-manager for the real-apiserver tests (built once); prints their folder
	@bash hack/envtest.sh

.PHONY: helm chart-lint

helm: ## the helm command for the chart checks (HELM, else built once from the Go module proxy); prints its folder
	@bash hack/helm.sh

CHART := charts/hugr-operator
# Reads a multi-document YAML stream on stdin: at least one document, each with apiVersion, kind, metadata.name.
CHECK_MANIFESTS := node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { \
  const docs = require("yaml").parseAllDocuments(s).filter((d) => d.contents !== null); \
  if (docs.length === 0) throw new Error("no manifests"); \
  for (const d of docs) { if (d.errors.length > 0) throw d.errors[0]; const o = d.toJS(); \
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error("incomplete object: " + JSON.stringify(o)); } \
  console.log("    " + docs.length + " objects: " + docs.map((d) => d.get("kind")).join(" ")); })'

chart-lint: ## helm lint --strict and helm template of the chart (defaults and ci/*.yaml); kubectl kustomize of config/
	@set -eu; \
	helm_dir="$$(bash hack/helm.sh)"; helm="$${HELM:-$$helm_dir/helm}"; \
	if [ -n "$${KUBEBUILDER_ASSETS:-}" ] && [ -x "$$KUBEBUILDER_ASSETS/kubectl" ]; then kubectl="$$KUBEBUILDER_ASSETS/kubectl"; \
	elif command -v kubectl >/dev/null 2>&1; then kubectl="$$(command -v kubectl)"; \
	else kubectl="$$(bash hack/envtest.sh)/kubectl"; fi; \
	out="$$(mktemp)"; trap 'rm -f "$$out"' EXIT; \
	echo "==> helm lint --strict $(CHART) (helm $$("$$helm" version --template '{{ .Version }}'))"; \
	"$$helm" lint --strict $(CHART); \
	for values in $(CHART)/ci/*.yaml; do \
	  echo "==> helm lint --strict and helm template with $$values"; \
	  "$$helm" lint --strict $(CHART) --namespace hugr-system -f "$$values"; \
	  "$$helm" template hugr-operator $(CHART) --namespace hugr-system -f "$$values" >"$$out"; \
	  $(CHECK_MANIFESTS) <"$$out"; \
	done; \
	echo "==> helm template rejects a value outside values.schema.json, and replicas without leader election"; \
	if "$$helm" template $(CHART) --set unknownValue=1 >/dev/null 2>&1; then \
	  echo "error: helm template accepted a value that values.schema.json does not declare" >&2; exit 1; fi; \
	if "$$helm" template $(CHART) --set operator.leaderElection.enabled=false >/dev/null 2>&1; then \
	  echo "error: helm template accepted 2 replicas without leader election" >&2; exit 1; fi; \
	"$$helm" template $(CHART) --set operator.leaderElection.enabled=false,replicaCount=1 >/dev/null; \
	for dir in config/default config/samples; do \
	  echo "==> kubectl kustomize $$dir ($$kubectl)"; \
	  "$$kubectl" kustomize "$$dir" >"$$out"; \
	  $(CHECK_MANIFESTS) <"$$out"; \
	done

clean:
	rm -rf protocol/dist coredb/dist common/dist worker/dist */tsconfig.tsbuildinfo
