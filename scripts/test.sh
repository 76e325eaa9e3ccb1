#!/usr/bin/env bash
# Installs what is missing and runs every test: all Bazel tests (unit,
# property, conformance, simulation, and the real-binary tests that drive
# twinkv-server with redis-cli and redis-benchmark), then a short libFuzzer
# run of each fuzz target. Ends with one line "N passed, N failed" counting
# individual test cases (GoogleTest/RapidCheck cases from the test XML, one
# per script test, one per fuzz target). Exit status 0 only if all passed.
#
# Environment: FUZZ_SECONDS (default 10) per fuzz target; 0 skips fuzzing.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
log=$(mktemp)

echo "== bazel test //..."
scripts/bazel.sh test //... --keep_going --test_summary=short 2>&1 | tee "$log"
bazel_status=${PIPESTATUS[0]}

# Count test cases from the XML of every test target Bazel reported on.
testlogs=$(bazel info bazel-testlogs 2>/dev/null)
counted_targets=0
while read -r target status; do
  [[ -z "$target" ]] && continue
  rel=${target#//}
  rel=${rel/://}
  xml="$testlogs/$rel/test.xml"
  if [[ "$status" == PASSED* || "$status" == FAILED* ]] && [[ -f "$xml" ]]; then
    read -r t f e < <(python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = e = 0
for s in suites:
    t += int(s.get("tests", 0)); f += int(s.get("failures", 0)); e += int(s.get("errors", 0))
print(t, f, e)
PY
)
    bad=$((f + e))
    if [[ "$status" == FAILED* && $bad -eq 0 ]]; then bad=1; fi  # crashed
    good=$((t - f - e))
    ((good < 0)) && good=0
    passed=$((passed + good))
    failed=$((failed + bad))
  elif [[ "$status" == PASSED* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))  # failed to build, timed out, no status
  fi
  counted_targets=$((counted_targets + 1))
done < <(grep -E '^//[^ ]+ +(\(cached\) +)?(PASSED|FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|SKIPPED)' "$log" |
         sed -E 's/ +\(cached\)//' | awk '{s=$2; if ($3=="TO"||$3=="STATUS") s=$2"_"$3; print $1, s}')
if ((bazel_status != 0 && counted_targets == 0)); then
  echo "bazel test failed before running any test"
  failed=$((failed + 1))
fi

fuzz_seconds=${FUZZ_SECONDS:-10}
if ((fuzz_seconds > 0)); then
  echo "== fuzz (${fuzz_seconds} s per target)"
  # To a file, not through a pipe: the fuzz build's Bazel server outlives
  # the script and would hold a pipe (and whoever reads ours) open.
  scripts/fuzz.sh "$fuzz_seconds" >"$log.fuzz" 2>&1 || true
  cat "$log.fuzz"
  fuzz_ok=$(grep -cE '^fuzz .*no crash' "$log.fuzz" || true)
  fuzz_bad=$(grep -cE '^fuzz .*(CRASH|FAILED|failed)' "$log.fuzz" || true)
  if ((fuzz_ok + fuzz_bad == 0)); then fuzz_bad=1; fi
  passed=$((passed + fuzz_ok))
  failed=$((failed + fuzz_bad))
fi

rm -f "$log" "$log.fuzz"
echo "${passed} passed, ${failed} failed"
((failed == 0))
