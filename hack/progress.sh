# Progress and failure reporting shared by the tool scripts (hack/envtest.sh, hack/helm.sh,
# e2e/kind/offline/): sourced, not run, after setting PROGRESS_NAME (the prefix of every line).
# Everything goes to standard error. PROGRESS_START, when exported by a caller, gives several scripts
# one clock.
#
#   log MESSAGE    [name   12.3s] MESSAGE
#   step NAME      starts a step: its name is in every later error
#   die MESSAGE    ERROR in step "...": MESSAGE, and exit 1
# and an ERR trap that names the step and the failing command once (set -E makes subshells inherit it).

PROGRESS_START="${PROGRESS_START:-${EPOCHREALTIME}}"
PROGRESS_STEP="start"

elapsed() { awk -v a="${PROGRESS_START}" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%7.1fs", b - a }'; }
log() { printf '[%s %s] %s\n' "${PROGRESS_NAME}" "$(elapsed)" "$*" >&2; }
step() {
  PROGRESS_STEP="$1"
  log "== $1"
}
die() {
  printf '[%s %s] ERROR in step "%s": %s\n' "${PROGRESS_NAME}" "$(elapsed)" "${PROGRESS_STEP}" "$*" >&2
  exit 1
}
on_error() {
  local rc=$?
  # Command substitutions inherit this trap: report once, from the script itself.
  if [ "${BASHPID}" != "$$" ]; then exit "${rc}"; fi
  local what="${BASH_COMMAND}"
  case "${what}" in return*) what="see the line above" ;; esac
  printf '[%s %s] ERROR: step "%s" failed (exit %s, command: %s)\n' \
    "${PROGRESS_NAME}" "$(elapsed)" "${PROGRESS_STEP}" "${rc}" "${what}" >&2
  exit "${rc}"
}
trap on_error ERR
