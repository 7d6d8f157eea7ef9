#!/bin/bash
# AVX2 emulated on the Intel Xeon with AMX: oneDNN capped with DNNL_MAX_CPU_ISA=AVX2 (encryip and
# PyTorch's convolutions, which use the same system libdnnl), PyTorch's ATen kernels with
# ATEN_CPU_CAPABILITY=avx2; OPENBLAS_* unset for the torch peer.  $1 out dir
set -u
o=$1
{ date -u; uptime; lscpu | grep "Model name"; } > "$o/machine.txt"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 \
  bench/compare.sh --threads 2 --batch 128 --warmup 2 --iters 5 --repeat 2 --json-out "$o/compare.jsonl" \
  > "$o/compare.md" 2> "$o/compare.err"
{ date -u; uptime; } >> "$o/machine.txt"
