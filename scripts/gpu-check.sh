#!/usr/bin/env bash
# OmniGen4J GPU check: builds the CUDA variant, runs text-to-image and an edit at 1024² on ONNX Runtime's CUDA
# provider (bench model and a real-shape random checkpoint), samples PCIe traffic, runs the conformance fixtures
# on CUDA, and writes everything plus summary.md into a results folder.
#
# Checks the machine first (NVIDIA driver, CUDA 12 + cuDNN 9 libraries, JDK, Maven, disk) and stops with a list of
# what is missing before any build or download. See "Running on a GPU" in README.md.
#
# Exit codes: 0 every step passed; 1 a step failed (the others still ran; see summary.md); 2 wrong arguments;
# 3 this machine lacks something the check needs (nothing was built or written).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/gpu-check.sh [options]

Runs OmniGen4J on ONNX Runtime's CUDA provider and writes the results (summary.md, logs, JSON) to a folder.

  --out DIR        results folder (default: gpu-check-results-<date>-<time>)
  --work DIR       where the generated checkpoints and model folders go (default: DIR/work; the real-shape
                   checkpoint and its export need about 25 GB in fp16, 33 GB in fp32)
  --steps N        denoising steps of every timed call (default: 50)
  --device N       CUDA device index (default: 0)
  --fixtures DIR   conformance fixtures (default: ../shared/conformance beside the repository; skipped if absent)
  --skip-real      skip the real-shape model (OmniGen-v1's shapes, random weights, about 16 GB)
  --dry-run        check the machine, print what would run, run nothing (exit 0 even without a GPU)
  -h, --help       this help
EOF
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=""
WORK=""
STEPS=50
DEVICE=0
FIXTURES=""
SKIP_REAL=0
DRY_RUN=0

die_usage() {
  echo "gpu-check: $1" >&2
  echo "Run scripts/gpu-check.sh --help for the options." >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 && -n "$2" ]] || die_usage "--out needs a folder"; OUT=$2; shift 2 ;;
    --work) [[ $# -ge 2 && -n "$2" ]] || die_usage "--work needs a folder"; WORK=$2; shift 2 ;;
    --steps) [[ $# -ge 2 ]] || die_usage "--steps needs a number"; STEPS=$2; shift 2 ;;
    --device) [[ $# -ge 2 ]] || die_usage "--device needs a number"; DEVICE=$2; shift 2 ;;
    --fixtures) [[ $# -ge 2 && -n "$2" ]] || die_usage "--fixtures needs a folder"; FIXTURES=$2; shift 2 ;;
    --skip-real) SKIP_REAL=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown option '$1'" ;;
  esac
done
[[ $STEPS =~ ^[1-9][0-9]*$ ]] || die_usage "--steps must be a whole number ≥ 1, got '$STEPS'"
[[ $DEVICE =~ ^[0-9]+$ ]] || die_usage "--device must be a CUDA device index (0, 1, …), got '$DEVICE'"
OUT=${OUT:-gpu-check-results-$(date +%Y%m%d-%H%M%S)}
WORK=${WORK:-$OUT/work}
FIXTURES=${FIXTURES:-$REPO/../shared/conformance}

# ---------------------------------------------------------------------------------------------------------------
# 1. What this machine has (fast; nothing is built or written before it passes)
# ---------------------------------------------------------------------------------------------------------------

# Libraries ONNX Runtime 1.29's CUDA provider needs: the DT_NEEDED entries of libonnxruntime_providers_cuda.so,
# plus cuDNN 9, which it opens at run time.
CUDA_LIBS=(libcuda.so.1 libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcurand.so.10 libcudnn.so.9)
# Where CUDA/cuDNN usually live when they are installed but not on the loader's path.
USUAL_LIB_DIRS=(/usr/local/cuda/lib64 /usr/local/cuda-12/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/targets/x86_64-linux/lib)

MISSING=()
NOTES=()

# Prints the path of shared library $1 as the dynamic loader would find it (LD_LIBRARY_PATH, then ldconfig's cache).
loader_finds() {
  local name=$1 dir ldconfig
  local -a dirs=()
  IFS=: read -r -a dirs <<<"${LD_LIBRARY_PATH:-}"
  for dir in ${dirs[@]+"${dirs[@]}"}; do
    if [[ -n $dir && -e $dir/$name ]]; then
      echo "$dir/$name"
      return 0
    fi
  done
  ldconfig=$(command -v ldconfig || true)
  [[ -z $ldconfig && -x /sbin/ldconfig ]] && ldconfig=/sbin/ldconfig
  if [[ -n $ldconfig ]]; then
    "$ldconfig" -p 2>/dev/null | awk -v n="$name" '$1 == n { print $NF; found = 1; exit } END { exit !found }' && return 0
  fi
  return 1
}

check_machine() {
  if [[ $(uname -s) != Linux || $(uname -m) != x86_64 ]]; then
    MISSING+=("a Linux x86-64 machine: onnxruntime_gpu's Maven jar has CUDA natives only for linux-x64 and win-x64 (this is $(uname -s) $(uname -m); on Windows run the same steps by hand, see README)")
  fi

  local smi
  smi=$(command -v nvidia-smi || true)
  if [[ -z $smi ]]; then
    MISSING+=("an NVIDIA GPU with its driver: nvidia-smi is not on the PATH (no NVIDIA driver installed, or no GPU in this machine)")
  else
    local gpus header cuda_ver
    if ! gpus=$("$smi" --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>&1) || [[ -z $gpus ]]; then
      MISSING+=("a working NVIDIA driver: nvidia-smi failed: $(head -n 1 <<<"$gpus")")
    elif ! grep -q "^$DEVICE," <<<"$gpus"; then
      MISSING+=("CUDA device $DEVICE: nvidia-smi lists only: $(tr '\n' ';' <<<"$gpus")")
    else
      NOTES+=("GPU(s): $(tr '\n' ';' <<<"$gpus")")
      header=$("$smi" 2>/dev/null || true)
      cuda_ver=$(sed -n 's/.*CUDA Version: *\([0-9][0-9]*\)\.\([0-9]*\).*/\1.\2/p' <<<"$header" | head -n 1)
      if [[ -n $cuda_ver && ${cuda_ver%%.*} -lt 12 ]]; then
        MISSING+=("a driver for CUDA 12: this driver supports CUDA $cuda_ver at most (ONNX Runtime 1.29's CUDA build needs CUDA 12.x; on Linux driver ≥ 525.60)")
      elif [[ -n $cuda_ver ]]; then
        NOTES+=("driver supports CUDA $cuda_ver")
      fi
    fi
  fi

  local lib path dir
  for lib in "${CUDA_LIBS[@]}"; do
    if path=$(loader_finds "$lib"); then
      NOTES+=("$lib: $path")
      continue
    fi
    local where=""
    for dir in "${USUAL_LIB_DIRS[@]}"; do
      if [[ -e $dir/$lib ]]; then where=$dir; break; fi
    done
    case $lib in
      libcuda.so.1) MISSING+=("libcuda.so.1 (the NVIDIA driver's CUDA library): install the NVIDIA driver") ;;
      libcudnn.so.9)
        if [[ -n $where ]]; then
          MISSING+=("libcudnn.so.9 is in $where but not on the loader's path: export LD_LIBRARY_PATH=$where:\$LD_LIBRARY_PATH")
        else
          MISSING+=("libcudnn.so.9 (cuDNN 9 for CUDA 12): install cuDNN 9, e.g. the cudnn9-cuda-12 package, or pip's nvidia-cudnn-cu12 and add its lib folder to LD_LIBRARY_PATH")
        fi ;;
      *)
        if [[ -n $where ]]; then
          MISSING+=("$lib is in $where but not on the loader's path: export LD_LIBRARY_PATH=$where:\$LD_LIBRARY_PATH")
        else
          MISSING+=("$lib (CUDA 12 runtime): install the CUDA 12.x toolkit or runtime libraries (cuda-libraries-12-x) and put their lib64 folder on LD_LIBRARY_PATH")
        fi ;;
    esac
  done

  local java_ver
  if ! command -v java >/dev/null 2>&1; then
    MISSING+=("java: a JDK 17 or newer on the PATH")
  else
    java_ver=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1)
    if [[ -z $java_ver || ${java_ver%%.*} -lt 17 ]]; then
      MISSING+=("a JDK 17 or newer (java on the PATH is version ${java_ver:-unknown})")
    fi
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    MISSING+=("mvn: Maven 3.8 or newer on the PATH (the check builds the CUDA variant with -Pgpu)")
  fi

  # Disk for the real-shape model (checkpoint ≈ 15.8 GB, export ≈ 8 GB fp16 / 16 GB fp32, plus margin). bench
  # checks again precisely and reuses what is already there.
  if [[ $SKIP_REAL -eq 0 && ! -d $WORK/real-bench ]]; then
    local probe=$WORK need_gb=34 free_kb
    while [[ ! -d $probe ]]; do probe=$(dirname "$probe"); done
    free_kb=$(df -Pk "$probe" | awk 'NR == 2 { print $4 }')
    if [[ -n $free_kb ]] && (( free_kb / 1048576 < need_gb )); then
      MISSING+=("disk: the real-shape model needs about $need_gb GB in $WORK (checkpoint + export, fp32 worst case) and $((free_kb / 1048576)) GB are free: use --work on a larger disk, or --skip-real")
    fi
  fi
}

check_machine

echo "gpu-check: machine"
for n in "${NOTES[@]+"${NOTES[@]}"}"; do echo "  $n"; done
if [[ ${#MISSING[@]} -gt 0 ]]; then
  {
    echo "gpu-check: this machine cannot run the GPU check; missing:"
    for m in "${MISSING[@]}"; do echo "  - $m"; done
    echo "See \"Running on a GPU\" in README.md for the requirements (NVIDIA driver for CUDA 12, CUDA 12.x, cuDNN 9)."
  } >&2
  if [[ $DRY_RUN -eq 0 ]]; then
    exit 3
  fi
  echo "gpu-check: --dry-run: continuing to show the commands anyway" >&2
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. The runs
# ---------------------------------------------------------------------------------------------------------------

CLI=(java -jar "$REPO/samples/target/omnigen.jar")
CONF=(java -jar "$REPO/conformance/target/omnigen4j-conformance.jar")
PROVIDER="cuda:$DEVICE"
FAILED=()
RAN=()

# Prints a command as one shell-quoted line.
show() {
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=,@+%-]+$ ]]; then out+=" $a"; else out+=" $(printf '%q' "$a")"; fi
  done
  echo "${out# }"
}

# run_step NAME LOG COMMAND...: runs COMMAND with its output also in LOG; a failure is recorded, not fatal.
run_step() {
  local name=$1 log=$2
  shift 2
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "[$name] $(show "$@")"
    return 0
  fi
  echo "gpu-check: [$name] $(show "$@")"
  local start=$SECONDS rc
  set +e
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  RAN+=("$name: exit $rc, $((SECONDS - start)) s, log $(basename "$log")")
  if [[ $rc -ne 0 ]]; then
    FAILED+=("$name (exit $rc; see $(basename "$log"))")
  fi
  return "$rc"
}

# PCIe traffic while a step runs: nvidia-smi dmon samples PCIe rx/tx (MB/s) and utilisation once a second.
DMON_PID=""
start_traffic() {
  DMON_PID=""
  [[ $DRY_RUN -eq 1 ]] && { echo "[traffic] nvidia-smi dmon -i $DEVICE -s ut -d 1 -o T > $1 (in the background)"; return 0; }
  if nvidia-smi dmon -h >/dev/null 2>&1; then
    nvidia-smi dmon -i "$DEVICE" -s ut -d 1 -o T >"$1" 2>&1 &
    DMON_PID=$!
  fi
}
stop_traffic() {
  if [[ -n $DMON_PID ]]; then
    kill "$DMON_PID" 2>/dev/null || true
    wait "$DMON_PID" 2>/dev/null || true
    DMON_PID=""
  fi
}
trap stop_traffic EXIT

# One line from a dmon file: seconds sampled, total and peak PCIe MB each way, mean SM utilisation.
traffic_summary() {
  local f=$1
  [[ -s $f ]] || { echo "not measured (nvidia-smi dmon unavailable)"; return; }
  awk '
    /^#/ { line = $0; sub(/^#/, "", line); k = split(line, h)
           for (i = 1; i <= k; i++) { if (h[i] == "rxpci") rx = i; if (h[i] == "txpci") tx = i; if (h[i] == "sm") sm = i }
           next }
    rx && NF >= rx { n++; r += $rx; t += $tx; if ($rx > pr) pr = $rx; if ($tx > pt) pt = $tx; if (sm) s += $sm }
    END {
      if (!n) { print "no samples (dmon printed no PCIe columns on this GPU)"; exit }
      printf "%d s sampled: host→device %.0f MB (peak %.0f MB/s), device→host %.0f MB (peak %.0f MB/s), mean SM use %.0f %%\n", n, r, pr, t, pt, s / n
    }' "$f"
}

if [[ $DRY_RUN -eq 0 ]]; then
  mkdir -p "$OUT" "$WORK"
  OUT=$(cd "$OUT" && pwd)
  WORK=$(cd "$WORK" && pwd)
  exec > >(tee "$OUT/gpu-check.log") 2>&1
fi

# Build the CLI and the conformance runner with onnxruntime_gpu (-Pgpu; downloads the 642 MB jar once).
run_step build "$OUT/build.log" mvn -B -ntp -q -Pgpu -DskipTests package -pl samples,conformance -am -f "$REPO/pom.xml" || {
  echo "gpu-check: the build failed; see $OUT/build.log" >&2
  exit 1
}

if [[ $DRY_RUN -eq 0 ]] && command -v unzip >/dev/null 2>&1 \
    && ! unzip -l "$REPO/samples/target/omnigen.jar" | grep -q providers_cuda; then
  echo "gpu-check: samples/target/omnigen.jar has no CUDA provider library; the -Pgpu build did not take effect" >&2
  exit 1
fi

# fp16 when this build's export and bench know it; fp32 otherwise (the GPU's fast paths are fp16/bf16).
PRECISION=fp32
if [[ $DRY_RUN -eq 1 ]]; then
  PRECISION=fp16
  echo "[precision] fp16 if 'export --help' and 'bench --help' list it, else fp32"
elif "${CLI[@]}" export --help 2>/dev/null | grep -q fp16 && "${CLI[@]}" bench --help 2>/dev/null | grep -q fp16; then
  PRECISION=fp16
else
  echo "gpu-check: this build's export/bench has no --precision fp16; using fp32 (slower on the GPU, twice the memory)"
fi

# A quick start on CUDA (demo model, 2 steps): fails in seconds if the provider cannot start.
run_step cuda-smoke "$OUT/cuda-smoke.log" env OMNIGEN4J_CACHE="$WORK/demo-cache" "${CLI[@]}" generate --provider "$PROVIDER" --steps 2 --progress none \
  --prompt "gpu check" --seed 0 --out "$OUT/cuda-smoke.png" || {
  echo "gpu-check: the CUDA provider did not start; see $OUT/cuda-smoke.log" >&2
  exit 1
}

THREADS=$(nproc 2>/dev/null || echo 4)

# Bench model (Phi-3 hidden 512, 8 layers), 1024², text to image and edit, one warm-up and three timed calls.
start_traffic "$OUT/traffic-bench.txt"
run_step bench "$OUT/bench.log" "${CLI[@]}" bench --dir "$WORK/bench-run" --provider "$PROVIDER" \
  --precision "$PRECISION" --size 1024 --steps "$STEPS" --threads "$THREADS" --kv on --warmup 1 --runs 3 \
  --cases t2i,edit --no-ort-cache --json "$OUT/bench.json" || true
stop_traffic

# Real shapes (OmniGen-v1: Phi-3 3072 × 32 layers, SDXL VAE; random weights), 1024², one warm-up and one timed
# call each: the number to compare with the goal (≤ 8 s for 50 steps on an H100-class GPU).
if [[ $SKIP_REAL -eq 0 ]]; then
  start_traffic "$OUT/traffic-real.txt"
  run_step real "$OUT/real.log" "${CLI[@]}" bench --spec real --dir "$WORK/real-bench" --provider "$PROVIDER" \
    --precision "$PRECISION" --size 1024 --steps "$STEPS" --threads "$THREADS" --kv on --warmup 1 --runs 1 \
    --cases t2i,edit --json "$OUT/real.json" || true
  stop_traffic
fi

# Conformance fixtures on CUDA (float32 bounds; fp16 too when the runner knows it).
if [[ -d $FIXTURES || $DRY_RUN -eq 1 ]]; then
  run_step conformance "$OUT/conformance.log" "${CONF[@]}" --fixtures "$FIXTURES" --provider "$PROVIDER" \
    --report "$OUT/conformance-cuda.json" || true
  if [[ $DRY_RUN -eq 1 ]] || "${CONF[@]}" --help 2>/dev/null | grep -q fp16; then
    run_step conformance-fp16 "$OUT/conformance-fp16.log" "${CONF[@]}" --fixtures "$FIXTURES" \
      --provider "$PROVIDER" --precision fp16 --report "$OUT/conformance-cuda-fp16.json" || true
  fi
else
  echo "gpu-check: no conformance fixtures at $FIXTURES (--fixtures DIR); conformance skipped"
fi

[[ $DRY_RUN -eq 1 ]] && exit 0

# ---------------------------------------------------------------------------------------------------------------
# 3. Summary
# ---------------------------------------------------------------------------------------------------------------
{
  echo "# OmniGen4J GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "- commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- provider: $PROVIDER, precision: $PRECISION, $STEPS steps, 1024×1024, intra-op threads $THREADS"
  for n in "${NOTES[@]+"${NOTES[@]}"}"; do echo "- $n"; done
  echo
  echo "## Steps"
  for r in "${RAN[@]+"${RAN[@]}"}"; do echo "- $r"; done
  echo
  echo "## Bench model (bench.log, bench.json)"
  echo '```'
  grep -E 'omnigen4j bench|model load|^(text|edit|Text|Edit)|step|total|decode|prefill' "$OUT/bench.log" 2>/dev/null | head -n 60 || true
  echo '```'
  echo "PCIe traffic: $(traffic_summary "$OUT/traffic-bench.txt")"
  if [[ $SKIP_REAL -eq 0 ]]; then
    echo
    echo "## Real shapes (real.log, real.json)"
    echo '```'
    grep -vE '^\s*$' "$OUT/real.log" 2>/dev/null | grep -vE '…$' | tail -n 30 || true
    echo '```'
    echo "PCIe traffic: $(traffic_summary "$OUT/traffic-real.txt")"
  fi
  echo
  echo "## Conformance on CUDA"
  for f in conformance.log conformance-fp16.log; do
    [[ -f $OUT/$f ]] && echo "- $f: $(grep -E '[0-9]+ passed, [0-9]+ failed' "$OUT/$f" | tail -n 1)"
  done
  echo
  if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "## FAILED"
    for f in "${FAILED[@]}"; do echo "- $f"; done
  else
    echo "All steps passed."
  fi
} >"$OUT/summary.md"

cat "$OUT/summary.md"
echo "gpu-check: results in $OUT"
[[ ${#FAILED[@]} -eq 0 ]]
