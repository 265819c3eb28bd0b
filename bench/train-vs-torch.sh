#!/usr/bin/env bash
# Training throughput, Cria vs PyTorch (libtorch), same LLaMA shape, fp32, same threads, runs alternated.
#
#   bench/train-vs-torch.sh                      # 15m, 3 rounds, 2 threads
#   ROUNDS=2 SHAPES="15m 110m" BF16=1 bench/train-vs-torch.sh
#
# Env: ROUNDS (3), THREADS (2), SHAPES ("15m"), STEPS_15M (5), STEPS_110M (2), BATCH_15M (8), BATCH_110M (4),
# SEQ (256), BF16 (0; 1 adds one PyTorch bf16-autocast run in the first round, for the record), PYTHON (/usr/bin/python3).
# Installs nothing: prints the apt command when a piece is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
SHAPES=${SHAPES:-15m}
SEQ=${SEQ:-256}
BF16=${BF16:-0}
PY=${PYTHON:-/usr/bin/python3}

if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "PyTorch is missing for $PY. On Debian 12: apt-get update && apt-get install -y python3-torch libopenblas0-openmp" >&2
    exit 1
fi

# Debian's torch does its fp32 matmuls through libblas.so.3; the reference BLAS there runs at ~30 GFLOPS,
# which would make a weak peer. Point the loader at OpenBLAS, and since OpenBLAS 0.3.21 does not recognise
# newer Xeons (it falls back to its Prescott kernels), name an AVX-512 core when the CPU has AVX-512.
BLAS=""
for d in /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/x86_64-linux-gnu/openblas-pthread; do
    if [[ -e $d/libblas.so.3 ]]; then BLAS=$d; break; fi
done
if [[ -z $BLAS ]]; then
    echo "OpenBLAS is missing (torch would use the reference BLAS). On Debian 12: apt-get install -y libopenblas0-openmp" >&2
    exit 1
fi
if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}; fi
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
export CRIA_TORCH_BLAS="OpenBLAS ($BLAS, core ${OPENBLAS_CORETYPE:-auto})"

dotnet build -c Release bench/Cria.Bench -v q -nologo >/dev/null
CRIA=(dotnet bench/Cria.Bench/bin/Release/net10.0/Cria.Bench.dll)

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# One result line: shape, run kind, tokens/s, peak MiB, then Cria's FMA peak GFLOPS or PyTorch's parameter count.
run_cria() {
    local out
    out=$("${CRIA[@]}" train --shape "$1" --batch "$2" --seq "$SEQ" --steps "$3" -t "$THREADS")
    echo "$out" | grep '^cria train' >&2
    local line
    line=$(echo "$out" | grep '^cria train')
    local tps mib peak
    tps=$(sed -E 's/.*: ([0-9.]+) tokens\/s.*/\1/' <<<"$line")
    mib=$(sed -E 's/.*peak memory ([0-9.]+) MiB.*/\1/' <<<"$line")
    peak=$(sed -E 's/.*FMA peak ([0-9.]+) GFLOPS.*/\1/' <<<"$line")
    echo "$1 cria $tps $mib $peak" >>"$results"
}

# kind "torch": glibc's default allocator, which maps and unmaps every large tensor each step;
# "torch-keep": glibc told to keep freed memory (no mmap, no trim), libtorch's faster setting here.
run_torch() {
    local kind=$1 shape=$2 batch=$3 steps=$4 extra=${5:-}
    local env=(env LD_LIBRARY_PATH="$BLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    if [[ $kind == torch-keep* ]]; then env+=(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967295); fi
    local json
    # shellcheck disable=SC2086
    json=$("${env[@]}" "$PY" bench/torch/train_speed.py --shape "$shape" --batch "$batch" --seq "$SEQ" --steps "$steps" -t "$THREADS" $extra)
    echo "$kind $json" >&2
    "$PY" -c 'import json,sys; j=json.loads(sys.argv[3]); print(sys.argv[1], sys.argv[2], j["tokens_per_s"], j["peak_rss_mib"], j["params"])' \
        "$shape" "$kind" "$json" >>"$results"
}

for shape in $SHAPES; do
    case $shape in
        15m) steps=${STEPS_15M:-5} batch=${BATCH_15M:-8} ;;
        110m) steps=${STEPS_110M:-2} batch=${BATCH_110M:-4} ;;
        *) steps=${STEPS:-3} batch=${BATCH:-4} ;;
    esac
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "== $shape round $r/$ROUNDS (batch ${batch}x$SEQ, $steps timed steps, $THREADS threads, load $(cut -d' ' -f1 /proc/loadavg))" >&2
        run_cria "$shape" "$batch" "$steps"
        run_torch torch "$shape" "$batch" "$steps"
        run_torch torch-keep "$shape" "$batch" "$steps"
        if [[ $BF16 == 1 && $r == 1 ]]; then run_torch torch-keep-bf16 "$shape" "$batch" "$steps" --bf16; fi
    done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# Medians over the rounds; the ratio is Cria against each PyTorch setting; MFU uses Cria's measured FMA peak.
"$PY" - "$results" "$THREADS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("| shape | run: tokens/s of each round | tokens/s (median) | Cria / this | peak memory MiB | MFU |")
print("|---|---|---:|---:|---:|---:|")
for shape in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == shape]
    cria = statistics.median(float(r[2]) for r in mine if r[1] == "cria")
    peak = statistics.median(float(r[4]) for r in mine if r[1] == "cria") * 1e9
    params = next(int(r[4]) for r in mine if r[1] != "cria")
    for kind in dict.fromkeys(r[1] for r in mine):
        runs = [r for r in mine if r[1] == kind]
        tps = statistics.median(float(r[2]) for r in runs)
        mib = statistics.median(float(r[3]) for r in runs)
        mfu = 6 * params * tps / peak * 100
        ratio = "1" if kind == "cria" else f"{cria / tps:.2f}x"
        print(f"| {shape} | {kind}: {', '.join(r[2] for r in runs)} | {tps:.0f} | {ratio} | {mib:.0f} | {mfu:.1f}% |")
    print(f"\n{shape}: {params} params; threads {sys.argv[2]}; MFU = 6*params*tokens/s / Cria's measured FMA peak ({peak / 1e9:.0f} GFLOPS)")
EOF
