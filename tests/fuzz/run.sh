#!/usr/bin/env bash
# The fuzz target of the C reader (tests/fuzz/fuzz_reader.py), built with AddressSanitizer
# and UndefinedBehaviorSanitizer, for a bounded time: bash tests/fuzz/run.sh [SECONDS] [SEED]
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
echo "fuzzing the C reader under ASan and UBSan for ${DURATION} s (seed $SEED)"
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  PYTHONMALLOC=malloc \
  "$PY" -m tests.fuzz.fuzz_reader --module "$OUT/_scan$SUFFIX" --seconds "$DURATION" --seed "$SEED"
