#!/usr/bin/env bash
# The steps of mteval's GitHub Action (action.yml), as one script the tests run locally:
# install mteval (optional), fetch the suite's model checkpoints (when the cache missed), run the suite,
# gate the candidate against the committed baseline, and hand the results to the workflow.
#
# Inputs (environment; action.yml sets them from its inputs):
#   MTEVAL_SUITE        suite YAML (required)
#   MTEVAL_BASELINE     baseline file written by `mteval baseline save` (required)
#   MTEVAL_SYSTEM       candidate system name (default: the run's only system)
#   MTEVAL_DB           results database URL (default: sqlite in MTEVAL_REPORTS)
#   MTEVAL_INSTALL      pip requirement to install mteval from, e.g. mteval-zh or a wheel path (empty: installed)
#   MTEVAL_EXTRAS       extras to install with it, e.g. comet,models (empty: none)
#   MTEVAL_PYTHON       the Python to install into and run with (default: python)
#   MTEVAL_FETCH_MODELS "true": run `mteval models fetch SUITE` first (the Hugging Face cache missed)
#   MTEVAL_REPORTS      folder for the reports (default: mteval-reports)
#   GITHUB_WORKSPACE    (set by GitHub) annotations name files relative to it, as GitHub requires
# Outputs: $GITHUB_OUTPUT gets result (pass|fail|error), exit-code, markdown, junit, json;
# `mteval check` appends the Markdown report to $GITHUB_STEP_SUMMARY and prints one `::error`
# annotation per regression; a step that cannot be done (exit 2: a bad input, signatures that differ)
# gets one `::error` annotation with mteval's one-line message.
# Exit code: mteval check's (0 pass, 1 regression, 2 input or usage error).
set -uo pipefail

escape() {  # a workflow command's message: %, CR and LF percent-encoded (GitHub's workflow-command spec)
  local text=${1//%/%25}
  text=${text//$'\r'/%0D}
  printf '%s' "${text//$'\n'/%0A}"
}
error_message=""
annotate() {  # annotate TITLE MESSAGE: one ::error command; the message is also the step summary's on exit 2
  error_message=$2
  echo "::error title=mteval gate: $1::$(escape "$2")"
}
errors=$(mktemp) || exit 2
trap 'rm -f "$errors"' EXIT
mteval_step() {  # mteval_step TITLE ARGS...: run mteval, its stderr also kept; on exit 2 annotate its last line
  "${mteval[@]}" "${@:2}" 2> >(tee "$errors" >&2)
  local code=$?
  wait  # the tee has written everything
  if [ "$code" != 0 ] && [ "$code" != 1 ]; then
    annotate "$1" "$(grep -v '^\s*$' "$errors" | tail -n 1)"
  fi
  return "$code"
}
python=${MTEVAL_PYTHON:-python}
reports=${MTEVAL_REPORTS:-mteval-reports}
markdown="$reports/mteval-report.md"
junit="$reports/mteval-junit.xml"
json="$reports/mteval-report.json"

finish() {  # finish CODE: the outputs (and, on an error, why in the step summary), then leave with CODE
  local code=$1 result=error
  [ "$code" = 0 ] && result=pass
  [ "$code" = 1 ] && result=fail
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    { echo "result=$result"; echo "exit-code=$code"; echo "markdown=$markdown"; echo "junit=$junit"
      echo "json=$json"; } >> "$GITHUB_OUTPUT"
  fi
  if [ "$result" = error ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '### mteval gate: error (exit %s)\n\n%s\n' "$code" "${error_message:-see the job log}" >> "$GITHUB_STEP_SUMMARY"
  fi
  echo "mteval gate: $result (exit $code)"
  exit "$code"
}
fail() { annotate "input" "$1"; finish 2; }

[ -n "${MTEVAL_SUITE:-}" ] || fail "no suite given (input 'suite')"
[ -n "${MTEVAL_BASELINE:-}" ] || fail "no baseline file given (input 'baseline')"
mkdir -p "$reports" || fail "cannot create the reports folder $reports"
db=${MTEVAL_DB:-sqlite:///$(cd "$reports" && pwd)/mteval.db}

if [ -n "${MTEVAL_INSTALL:-}" ]; then
  requirement=$MTEVAL_INSTALL
  [ -n "${MTEVAL_EXTRAS:-}" ] && requirement="$requirement[$MTEVAL_EXTRAS]"
  echo "::group::pip install $requirement"
  "$python" -m pip install --quiet "$requirement" || { echo "::endgroup::"; fail "pip install $requirement failed"; }
  echo "::endgroup::"
fi

mteval=("$python" -m evals)
if [ "${MTEVAL_FETCH_MODELS:-}" = "true" ]; then
  echo "::group::mteval models fetch $MTEVAL_SUITE"
  mteval_step "models fetch" models fetch "$MTEVAL_SUITE" || { echo "::endgroup::"; finish 2; }
  echo "::endgroup::"
fi

echo "::group::mteval run $MTEVAL_SUITE"
mteval_step run run "$MTEVAL_SUITE" --db "$db" --quiet
code=$?
echo "::endgroup::"
[ "$code" = 0 ] || finish 2

# GitHub places a `file=` annotation by its path from the repository root, not from working-directory.
annotation_file=$MTEVAL_BASELINE
if [ -n "${GITHUB_WORKSPACE:-}" ] && [ -e "$MTEVAL_BASELINE" ]; then
  annotation_file=$(realpath --relative-to="$GITHUB_WORKSPACE" "$MTEVAL_BASELINE")
fi
system_args=()
[ -n "${MTEVAL_SYSTEM:-}" ] && system_args=(--system "$MTEVAL_SYSTEM")
mteval_step check check --db "$db" --baseline "$MTEVAL_BASELINE" --run latest "${system_args[@]}" \
  --markdown "$markdown" --junit "$junit" --json "$json" --annotations github --annotation-file "$annotation_file"
finish $?
