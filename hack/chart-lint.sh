#!/usr/bin/env bash
# Checks the operator's install manifests without a cluster (run by `make chart-lint`, part of `make lint`):
#   - helm lint --strict of charts/hugr-operator with its defaults and with each charts/hugr-operator/ci/*.yaml;
#   - helm template with each of those values files: every rendered document parses and names apiVersion,
#     kind and metadata.name;
#   - values.schema.json rejects an undeclared value, and the chart refuses 2 replicas without leader election;
#   - kubectl kustomize of config/default and config/samples renders complete objects.
# helm comes from HELM, else hack/helm.sh; kubectl from KUBEBUILDER_ASSETS, else PATH, else hack/envtest.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CHART=charts/hugr-operator
helm="${HELM:-$(bash hack/helm.sh)/helm}"
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "${KUBEBUILDER_ASSETS}/kubectl" ]; then
  kubectl="${KUBEBUILDER_ASSETS}/kubectl"
elif command -v kubectl >/dev/null 2>&1; then
  kubectl="$(command -v kubectl)"
else
  kubectl="$(bash hack/envtest.sh)/kubectl"
fi
out="$(mktemp)"
trap 'rm -f "${out}"' EXIT

# Reads a multi-document YAML stream: at least one document, each with apiVersion, kind, metadata.name.
check_manifests() {
  node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      const docs = require("yaml").parseAllDocuments(text).filter((d) => d.contents !== null);
      if (docs.length === 0) throw new Error("no manifests");
      for (const doc of docs) {
        if (doc.errors.length > 0) throw doc.errors[0];
        const o = doc.toJS();
        if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error("incomplete object: " + JSON.stringify(o));
      }
      console.log("    " + docs.length + " objects: " + docs.map((d) => d.get("kind")).join(" "));
    });' <"${out}"
}

echo "==> helm lint --strict ${CHART} (helm $("${helm}" version --template '{{ .Version }}'))"
"${helm}" lint --strict "${CHART}"
for values in "${CHART}"/ci/*.yaml; do
  echo "==> helm lint --strict and helm template with ${values}"
  "${helm}" lint --strict "${CHART}" --namespace hugr-system -f "${values}"
  "${helm}" template hugr-operator "${CHART}" --namespace hugr-system -f "${values}" >"${out}"
  check_manifests
done

echo "==> helm template rejects a value outside values.schema.json, and replicas without leader election"
if "${helm}" template "${CHART}" --set unknownValue=1 >/dev/null 2>&1; then
  echo "error: helm template accepted a value that values.schema.json does not declare" >&2
  exit 1
fi
if "${helm}" template "${CHART}" --set operator.leaderElection.enabled=false >/dev/null 2>&1; then
  echo "error: helm template accepted 2 replicas without leader election" >&2
  exit 1
fi
"${helm}" template "${CHART}" --set operator.leaderElection.enabled=false,replicaCount=1 >/dev/null

for dir in config/default config/samples; do
  echo "==> kubectl kustomize ${dir} (${kubectl})"
  "${kubectl}" kustomize "${dir}" >"${out}"
  check_manifests
done
