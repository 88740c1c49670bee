#!/usr/bin/env bash
# One-command check of accord on an NVIDIA GPU machine (H100/H200 class), within about
# eight minutes, with no network access:
#
#   1. report the tools and Python modules it needs (CUDA, CuPy, pybind11, ...);
#   2. build accord with CUDA (ACCORD_CUDA=ON, for this machine's architecture) into a
#      virtual environment that sees the system's packages (--no-build-isolation,
#      --no-deps, --no-index: nothing is downloaded);
#   3. run every test marked `gpu` (CPU/GPU agreement of every CUDA kernel);
#   4. run the GPU sections of the benchmark scripts: exact Shapley and core_violation
#      at n = 28 and 30 as a share of the device's peak bandwidth, sampled Shapley
#      throughput, batched best responses over 10^5 games, the belief kernels;
#   5. write one Markdown summary: the environment, every step's status and time, the
#      benchmark tables, and the tail of anything that failed.
#
# Usage (from anywhere; the repository is this script's parent directory):
#
#   benchmarks/gpu_check.sh [SUMMARY]    # default: $OUT/gpu_summary.md, else ./gpu_summary.md
#
# Environment: GPU_CHECK_BUDGET (seconds for all steps, default 450),
# GPU_CHECK_BUILD_TIMEOUT (seconds for the build, default 240), GPU_CHECK_ARCHS
# (CMAKE_CUDA_ARCHITECTURES, default "native" when nvidia-smi sees a GPU), GPU_CHECK_WORK
# (scratch directory: virtual environment, build tree, logs; default a new temporary one),
# PYTHON (default python3).  Every step runs under `timeout`, so a hang costs at most its
# share of the budget; the exit status is 0 only when every step passed.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -ge 1 ]]; then
  SUMMARY="$1"
elif [[ -n "${OUT:-}" ]]; then
  SUMMARY="$OUT/gpu_summary.md"
else
  SUMMARY="$PWD/gpu_summary.md"
fi
mkdir -p "$(dirname "$SUMMARY")"
SUMMARY="$(cd "$(dirname "$SUMMARY")" && pwd)/$(basename "$SUMMARY")"
BUDGET="${GPU_CHECK_BUDGET:-450}"
WORK="${GPU_CHECK_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/accord-gpu-check.XXXXXX")}"
mkdir -p "$WORK/logs"
WORK="$(cd "$WORK" && pwd)"
PYTHON="${PYTHON:-python3}"
cd "$REPO" || exit 2
START=$SECONDS
FAILED=0
STEPS=()    # "name|status|seconds" rows of the steps table
SECTIONS=() # log files whose content goes into the summary, as "title|file|lines"

now() { date -u +"%Y-%m-%d %H:%M:%S UTC"; }

# fail_last REASON: marks the last step failed although its command succeeded (a GPU step
# that found no GPU, tests that were all skipped).
fail_last() {
  local last=$((${#STEPS[@]} - 1))
  IFS='|' read -r name _ secs <<<"${STEPS[$last]}"
  STEPS[last]="$name|FAILED: $1|$secs"
  FAILED=1
}
left() { echo $((BUDGET - (SECONDS - START))); }

# run_step NAME CAP_SECONDS LOGFILE COMMAND...: runs COMMAND with a timeout of
# min(CAP, time left), records its status; returns the command's status.
run_step() {
  local name="$1" cap="$2" log="$3"
  shift 3
  local budget
  budget=$(left)
  if ((budget < 15)); then
    STEPS+=("$name|skipped: out of time|0")
    echo "skipped: the check's time budget is spent" >"$log"
    FAILED=1
    return 124
  fi
  ((cap > budget)) && cap=$budget
  echo "== $name (at most ${cap}s)"
  local t0=$SECONDS rc=0
  timeout --kill-after=10 "$cap" "$@" >"$log" 2>&1 || rc=$?
  local dt=$((SECONDS - t0)) status="ok"
  if ((rc == 124 || rc == 137)); then
    status="TIMEOUT after ${cap}s"
  elif ((rc != 0)); then
    status="FAILED (exit $rc)"
  fi
  ((rc != 0)) && FAILED=1
  STEPS+=("$name|$status|$dt")
  echo "   $status in ${dt}s"
  return "$rc"
}

# ---- 1. environment -------------------------------------------------------------------
ENV_LOG="$WORK/logs/environment.txt"
MISSING=()
if ! command -v nvcc >/dev/null 2>&1 && [[ -z "${CUDACXX:-}" ]]; then
  for d in /usr/local/cuda/bin /opt/cuda/bin; do
    [[ -x "$d/nvcc" ]] && export PATH="$d:$PATH" && break
  done
  command -v nvcc >/dev/null 2>&1 || MISSING+=("nvcc (set CUDACXX or put it on PATH)")
fi
{
  echo "repository: $REPO"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo 'unknown (no git metadata)')"
  echo "host: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null)"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "GPU: $(timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -n 4 | paste -sd ';')"
  else
    echo "GPU: nvidia-smi not found"
  fi
  for tool in "$PYTHON" nvcc cmake ninja git; do
    if command -v "$tool" >/dev/null 2>&1; then
      printf '%-8s %s\n' "$tool" "$(timeout 20 "$tool" --version 2>&1 | grep -m1 -iE 'version|python|release' || echo found)"
    else
      printf '%-8s MISSING\n' "$tool"
    fi
  done
} >"$ENV_LOG" 2>&1
command -v "$PYTHON" >/dev/null 2>&1 || MISSING+=("$PYTHON")
command -v cmake >/dev/null 2>&1 || MISSING+=("cmake")

# Python modules: needed to build (pybind11, scikit_build_core), to run accord and its
# tests (numpy, scipy, highspy, pytest, hypothesis, cupy), and optional ones.
PY_MODULES_REQUIRED="numpy scipy highspy pytest hypothesis cupy pybind11 scikit_build_core"
PY_MODULES_OPTIONAL="ninja cmake tqdm pybind11_stubgen ruff"
timeout 60 "$PYTHON" - "$PY_MODULES_REQUIRED" "$PY_MODULES_OPTIONAL" >>"$ENV_LOG" 2>&1 <<'EOF'
import importlib, sys
required, optional = sys.argv[1].split(), sys.argv[2].split()
missing = []
for group, names in (("required", required), ("optional", optional)):
    for name in names:
        try:
            mod = importlib.import_module(name)
            print(f"{name:18s} {getattr(mod, '__version__', 'found')}")
        except Exception as exc:  # ImportError, or CuPy without a usable CUDA runtime
            print(f"{name:18s} MISSING ({group}: {type(exc).__name__}: {exc})")
            if group == "required":
                missing.append(name)
print("missing required modules: " + (" ".join(missing) if missing else "none"))
EOF
PY_MISSING="$(sed -n 's/^missing required modules: //p' "$ENV_LOG")"
if [[ -z "$PY_MISSING" ]]; then
  MISSING+=("(the module check did not finish)")
elif [[ "$PY_MISSING" != "none" ]]; then
  read -ra PY_MISSING_LIST <<<"$PY_MISSING"
  MISSING+=("${PY_MISSING_LIST[@]}")
fi
if ((${#MISSING[@]})); then
  echo "MISSING: ${MISSING[*]}" >>"$ENV_LOG"
  FAILED=1
fi
STEPS+=("environment|$( ((${#MISSING[@]})) && echo "FAILED: missing ${MISSING[*]}" || echo ok)|0")
SECTIONS+=("Environment|$ENV_LOG|80")

# ---- 2. build ---------------------------------------------------------------------------
VENV="$WORK/venv"
PY="$PYTHON"
BUILD_LOG="$WORK/logs/build.txt"
export PYTHON VENV REPO WORK
# Runs under `timeout` in a child bash (export -f): creates the environment, builds and
# installs accord with CUDA, and shows what was installed.
# shellcheck disable=SC2329  # invoked as `bash -c build`
build() {
  local PY="$PYTHON"
  # The system's pip serves the environment when it is importable; else the bundled one.
  if { "$PYTHON" -m venv --system-site-packages --without-pip "$VENV" &&
    "$VENV/bin/python" -m pip --version; } ||
    "$PYTHON" -m venv --clear --system-site-packages "$VENV"; then
    PY="$VENV/bin/python"
    echo "virtual environment: $VENV (system site-packages visible)"
  else
    echo "no virtual environment ($PYTHON -m venv failed): installing with --user"
  fi
  local archs="${GPU_CHECK_ARCHS:-}"
  if [[ -z "$archs" ]]; then
    if nvidia-smi -L >/dev/null 2>&1; then archs=native; else archs="80-real;86-real;90"; fi
  fi
  echo "CMAKE_CUDA_ARCHITECTURES=$archs"
  local user=()
  [[ "$PY" == "$PYTHON" ]] && user=(--user)
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" ACCORD_CUDA=ON "$PY" -m pip install \
    --no-build-isolation --no-deps --no-index --no-cache-dir "${user[@]}" \
    -C "build-dir=$WORK/build" -C "cmake.define.CMAKE_CUDA_ARCHITECTURES=$archs" \
    -C "cmake.define.ACCORD_CUDA=ON" "$REPO" || return $?
  # The installed package: both extension modules and their stubs.
  "$PY" - <<'PYEOF'
import importlib.util, pathlib
import accord
root = pathlib.Path(accord.__file__).parent
print("installed at", root)
for name in ("_core", "_cuda"):
    print(name, "module:", importlib.util.find_spec(f"accord.{name}").origin)
stubs = sorted(str(p.relative_to(root)) for p in root.rglob("*.pyi"))
print("stubs:", ", ".join(stubs) or "NONE")
from accord import _cuda
print("devices:", _cuda.device_count(), _cuda.devices())
print("build:", _cuda.build_info())
PYEOF
}
SECTIONS+=("Build|$BUILD_LOG|60")
if ((${#MISSING[@]} == 0)) || [[ " ${MISSING[*]} " != *" pybind11 "* && " ${MISSING[*]} " != *" scikit_build_core "* ]]; then
  export -f build
  run_step "build (ACCORD_CUDA=ON)" "${GPU_CHECK_BUILD_TIMEOUT:-240}" "$BUILD_LOG" bash -c build
  BUILD_RC=$?
else
  echo "cannot build: missing ${MISSING[*]}" >"$BUILD_LOG"
  STEPS+=("build (ACCORD_CUDA=ON)|skipped: missing build tools|0")
  BUILD_RC=1
  FAILED=1
fi
[[ -x "$VENV/bin/python" ]] && PY="$VENV/bin/python"

# ---- 3. tests marked gpu ----------------------------------------------------------------
if ((BUILD_RC == 0)); then
  mapfile -t GPU_TESTS < <(grep -rlE "mark\.gpu" tests --include='*.py' | sort)
  TEST_LOG="$WORK/logs/pytest.txt"
  if run_step "pytest -m gpu (${#GPU_TESTS[@]} files)" 120 "$TEST_LOG" \
    "$PY" -m pytest -m gpu -q -rfEs -p no:cacheprovider "${GPU_TESTS[@]}" &&
    ! tail -n 1 "$TEST_LOG" | grep -q "passed"; then
    fail_last "no test ran (all skipped: see the reasons below)"
  fi
  SECTIONS+=("Tests marked gpu|$TEST_LOG|60")

  # ---- 4. GPU sections of the benchmarks ------------------------------------------------
  bench() {
    local title="$1" cap="$2" file="$3"
    shift 3
    if run_step "$title" "$cap" "$WORK/logs/$file" "$PY" "$@" &&
      grep -q "unavailable (" "$WORK/logs/$file"; then
      fail_last "the GPU section did not run (see below)"
    fi
    SECTIONS+=("$title|$WORK/logs/$file|60")
  }
  bench "exact Shapley, core_violation (n=28,30) and sampled Shapley" 110 compare_ef.txt \
    benchmarks/compare.py --sections e,f --device cuda --repeat 3
  bench "batched best responses and fictitious play (10^5 games)" 70 compare_games.txt \
    benchmarks/compare_games.py --sections gpu --device cuda --repeat 3
  bench "belief kernels" 50 compare_bayes.txt \
    benchmarks/compare_bayes.py --device cuda --rows 20000 --repeat 5
  # The committed .pyi stubs against the CUDA build (skipped without pybind11-stubgen).
  if "$PY" -c "import pybind11_stubgen, ruff" >/dev/null 2>&1; then
    STUB_LOG="$WORK/logs/stubs.txt"
    run_step "stub check (accord._core, accord._cuda)" 40 "$STUB_LOG" \
      "$PY" tools/check_stubs.py --require-cuda
    SECTIONS+=("Stub check|$STUB_LOG|40")
  else
    STEPS+=("stub check|skipped: pybind11-stubgen or ruff not installed|0")
  fi
else
  STEPS+=("pytest -m gpu|skipped: no build|0" "benchmarks|skipped: no build|0")
fi

# ---- 5. summary ---------------------------------------------------------------------------
{
  echo "# accord GPU check"
  echo
  echo "$(now); $((SECONDS - START)) s of a ${BUDGET} s budget; overall: $( ((FAILED)) && echo '**FAILED**' || echo 'passed')"
  echo
  echo "| step | status | seconds |"
  echo "|---|---|---|"
  for row in "${STEPS[@]}"; do
    IFS='|' read -r name status secs <<<"$row"
    echo "| $name | $status | $secs |"
  done
  for entry in "${SECTIONS[@]}"; do
    IFS='|' read -r title file lines <<<"$entry"
    echo
    echo "## $title"
    echo
    echo '```'
    if [[ -f "$file" ]]; then
      total=$(wc -l <"$file")
      if ((total > lines * 3)); then
        echo "[... first $((total - lines)) of $total lines left out; full log: $file]"
        tail -n "$lines" "$file"
      else
        cat "$file"
      fi
    else
      echo "(no output)"
    fi
    echo '```'
  done
} >"$SUMMARY"
echo "summary: $SUMMARY (logs in $WORK/logs)"
exit "$FAILED"
