# Every target runs on the project's pinned Node.js 24 (the npm package `node`), not the machine's.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: all install build typecheck lint format test test-unit test-integration test-kind run run-management bench bench-fanout bench-reconcile bench-query bench-idle-rss bench-cache clean schema generate envtest

all: build

install: ## install npm dependencies exactly as locked
	npm ci

build: ## compile the TypeScript workspaces into dist/
	tsc -b protocol common coredb worker operator
	chmod +x worker/dist/main.js operator/dist/main.js

typecheck: build ## type-check sources, tests and benchmarks (they import the workspaces through their dist/)
	tsc -p tsconfig.json --noEmit

lint: typecheck build ## type-aware lint, formatting check, committed schema and CRDs up to date
	eslint .
	prettier --check .
	node worker/dist/tools/print-schema.js --check
	node operator/dist/tools/generate-crds.js --check
	$(MAKE) --no-print-directory chart-lint

format:
	prettier --write .

test: build lint ## unit and integration tiers (the kind tier: make test-kind)
	vitest run --project unit --project integration

test-kind: ## the kind suite on real pods (e2e/kind): the plain kind flow with a running Docker, else offline with private daemons (as CI, as root)
	@if docker info >/dev/null 2>&1 && command -v kind >/dev/null 2>&1; then \
		bash e2e/kind/run.sh; \
	else \
		vitest run --project kind && bash e2e/kind/offline/run.sh; \
	fi

test-unit:
	vitest run --project unit

test-integration: build
	vitest run --project integration

run: build ## a single work node on the embedded core database (DuckDB, .data/core.duckdb)
	node worker/dist/main.js

schema: build ## regenerate worker/schema.graphql from the Pothos schema
	node worker/dist/tools/print-schema.js --write

generate: build ## regenerate the CRDs (crds/, config/crd/, charts/hugr-operator/crds/) and docs/crds.md from operator/src/api
	node operator/dist/tools/generate-crds.js

bench: build ## worker throughput against a bare graphql-yoga server (needs PostgreSQL binaries)
	tsx bench/worker.ts

bench-fanout: build ## cluster operations on 1-20 work nodes, start-to-ready, failure detection
	tsx bench/fanout.ts

bench-reconcile: build ## HugrDataSource apply -> Ready on 1-10 work nodes, operator memory with 1,000 resources (needs make envtest)
	tsx bench/reconcile.ts

bench-idle-rss: build ## the RSS of one idle work node on the DuckDB default and on a PGlite folder
	tsx bench/idle-rss.ts

bench-query: build ## a shop query through GraphQL against the same hand-written SQL behind node:http (needs PostgreSQL binaries)
	tsx bench/query.ts

bench-cache: build ## the result cache: an L1 hit against bare graphql-yoga, an L2 hit (Redis) and a miss against no cache (needs redis-server and PostgreSQL binaries)
	tsx bench/cache.ts

run-management: build ## a standalone management node (CLUSTER_SECRET must be set)
	node operator/dist/main.js

envtest: ## etcd, kube-apiserver, kube-controller-manager for the real-apiserver tests (built once); prints their folder
	@bash hack/envtest.sh

.PHONY: helm chart-lint

helm: ## the helm command for the chart checks (HELM, else built once from the Go module proxy); prints its folder
	@bash hack/helm.sh

chart-lint: ## helm lint --strict and helm template of the chart (defaults and ci/*.yaml); kubectl kustomize of config/
	@bash hack/chart-lint.sh

clean:
	rm -rf protocol/dist coredb/dist common/dist worker/dist */tsconfig.tsbuildinfo
