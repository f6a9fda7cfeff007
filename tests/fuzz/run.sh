#!/usr/bin/env bash
# The fuzz targets, with the C reader built with AddressSanitizer and
# UndefinedBehaviorSanitizer, each for a bounded time: the reader's own
# (tests/fuzz/fuzz_reader.py), then the whole check's (tests/fuzz/fuzz_validate.py).
# bash tests/fuzz/run.sh [SECONDS] [SEED]   (SECONDS for each target)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
DURATION=${1:-60}
SEED=${2:-$(date +%s)}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
INCLUDE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
SUFFIX=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
gcc -shared -fPIC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
  -fno-sanitize-recover=all -Wall -Wextra -Wno-missing-field-initializers \
  -I"$INCLUDE" "${SOURCE:-loader/read/_scan.c}" -o "$OUT/_scan$SUFFIX"
sanitized() {
  LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    PYTHONMALLOC=malloc \
    "$PY" -m "$1" --module "$OUT/_scan$SUFFIX" --seconds "$DURATION" --seed "$SEED"
}
echo "fuzzing the C reader under ASan and UBSan for ${DURATION} s (seed $SEED)"
sanitized tests.fuzz.fuzz_reader
echo "fuzzing the whole check (read_graphs) under ASan and UBSan for ${DURATION} s (seed $SEED)"
sanitized tests.fuzz.fuzz_validate
