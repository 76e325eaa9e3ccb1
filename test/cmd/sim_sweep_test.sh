#!/usr/bin/env bash
# Runs the simulation runner as a user would: --list, one seed (its line has
# the seed, the simulated time and a 16-hex-digit trace hash), and a sweep
# of the seed range given as $2 for scenario $1, each seed run twice with
# the determinism check. Fails if any seed fails.
set -uo pipefail
SIM="${TEST_SRCDIR}/twinkv/cmd/twinkv-sim"
scenario="$1"
range="$2"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"

"$SIM" --list | grep -q "^${scenario} " || { echo "FAIL: --list lacks ${scenario}"; exit 1; }

first=${range%%..*}
one=$("$SIM" --scenario="$scenario" --seed="$first" --artifacts="$artifacts")
echo "$one"
if ! grep -qE "seed=${first} simulated=[^ ]+ hash=[0-9a-f]{16} .* deterministic" <<<"$one"; then
  echo "FAIL: unexpected --seed output"
  exit 1
fi

"$SIM" --scenario="$scenario" --seeds="$range" --shrink_runs=60 --artifacts="$artifacts"
status=$?
if ((status != 0)); then
  echo "FAIL: sweep ${range} exited ${status}"
  exit 1
fi
echo "sweep ${scenario} ${range}: all seeds passed"
