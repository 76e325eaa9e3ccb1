#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang-14 and runs each one.
#
#   scripts/fuzz.sh [seconds_per_target]     (default 60)
#
# The build uses its own Bazel output base (FUZZ_OUTPUT_BASE, default
# ~/.cache/bazel-ob-fuzz): switching CC re-configures the C++ toolchain, so
# sharing the gcc output base would rebuild everything on every switch. The
# whole build is instrumented (fuzzer coverage, ASan, UBSan), not only the
# fuzzers' own files.
#
# Each target runs on fuzz/corpus-work/<target>/ (gitignored): a copy of its
# seed corpus fuzz/corpus/<target>/ plus whatever earlier runs found (delete
# the folder to start afresh). Crash inputs land in fuzz/corpus-work/artifacts/;
# replay one with `<fuzzer binary> <artifact>`.
#
# Prints one line per target, e.g.
#   fuzz request_parser_fuzzer: 60 s, 1234567 execs, no crash
# and exits non-zero if any target crashed (or timed out / ran out of memory).

set -euo pipefail

seconds="${1:-60}"
if ! [[ "${seconds}" =~ ^[0-9]+$ ]] || [[ "${seconds}" -eq 0 ]]; then
  echo "usage: $0 [seconds_per_target]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"

output_base="${FUZZ_OUTPUT_BASE:-${HOME}/.cache/bazel-ob-fuzz}"
targets=(request_parser_fuzzer reply_decoder_fuzzer)
build_flags=(
  --repo_env=CC=clang-14
  --copt=-fsanitize=fuzzer-no-link,address,undefined
  --copt=-fno-sanitize-recover=all
  # Keep the workspace's bazel-* links pointing at the gcc build.
  --symlink_prefix=/
)

work="${root}/fuzz/corpus-work"
mkdir -p "${work}/artifacts"
build_log="${work}/build.log"

if ! bazel --output_base="${output_base}" build "${build_flags[@]}" \
    "${targets[@]/#/\/\/fuzz:}" >"${build_log}" 2>&1; then
  # The gold linker's "Cannot export local symbol" warnings are noise.
  grep -v 'Cannot export local symbol' "${build_log}" | tail -40 >&2
  echo "fuzz: build failed (full log: ${build_log})" >&2
  exit 1
fi
bin_dir="$(bazel --output_base="${output_base}" info "${build_flags[@]}" \
  bazel-bin 2>/dev/null)/fuzz"

status=0
for target in "${targets[@]}"; do
  corpus="${work}/${target}"
  mkdir -p "${corpus}"
  cp -f "${root}/fuzz/corpus/${target%_fuzzer}"/* "${corpus}/"
  log="${work}/${target}.log"
  rc=0
  UBSAN_OPTIONS=print_stacktrace=1 \
    "${bin_dir}/${target}" \
    -max_total_time="${seconds}" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -max_len=8192 \
    -print_final_stats=1 \
    -artifact_prefix="${work}/artifacts/${target}-" \
    "${corpus}" >"${log}" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)"
  if [[ -z "${execs}" ]]; then
    execs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "${log}" | tail -1)"
  fi
  if [[ "${rc}" -eq 0 ]]; then
    echo "fuzz ${target}: ${seconds} s, ${execs:-?} execs, no crash"
  else
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "${log}" | tail -1)"
    echo "fuzz ${target}: ${seconds} s, ${execs:-?} execs, CRASH (exit ${rc};" \
      "input: ${artifact:-see log}; log: ${log})"
    grep -m 20 -E 'ERROR|check failed|runtime error|SUMMARY' "${log}" >&2 || true
    status=1
  fi
done
exit "${status}"
