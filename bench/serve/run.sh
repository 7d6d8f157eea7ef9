#!/usr/bin/env bash
# encryip serve load benchmark (docs/BENCHMARKS.md "encryip serve"), loopback only, bounded:
#   bash bench/serve/run.sh ENCRYIP BUNDLE NAME OUTDIR [SECONDS_PER_POINT=10] [LONG_SECONDS=60]
# For the bundle's deploy/: offline `encryip predict` throughput on 2000 test images, then the
# server under wrk (bench/serve/predict.lua, one real Fashion-MNIST test image per request) at 1, 8
# and 64 connections, then a LONG_SECONDS run at 64 connections with the server's RSS sampled after
# warm-up and at the end.  Raw wrk/predict output and a summary JSON line go to OUTDIR/NAME.*.
# THREADS (env, default 0 = all cores): oneDNN threads of both the offline predict and the server.
set -euo pipefail
bin="$(readlink -f "$1")"; bundle="$2"; name="$3"; out="$4"; secs="${5:-10}"; long="${6:-60}"
threads="${THREADS:-0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
tmp="$(mktemp -d /tmp/eip_bench_serve.XXXXXX)"
spid=""
cleanup() { [[ -n "$spid" ]] && { kill -9 "$spid"; wait "$spid"; } 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# 200 real test images (the model's input is 1x28x28 Fashion-MNIST here)
/usr/bin/python3 - "$tmp/imgs.bin" <<'PY'
import gzip, sys
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:16 + 200 * 784]
open(sys.argv[1], "wb").write(raw)
PY
export IMAGES="$tmp/imgs.bin" IMAGE_BYTES=784 SHAPE="1,28,28"
# offline reference: the same model and group, same machine, 2000 images, median of 3
for i in 1 2 3; do
    "$bin" predict --threads "$threads" --model "$bundle/deploy" --dataset fashion-mnist --limit 2000 --show 0 2>>"$out/$name.offline.txt" >/dev/null
done
offline=$(grep -o 'predict: 2000 images.* in [0-9.]* s' "$out/$name.offline.txt" | awk '{print 2000 / $(NF-1)}' | sort -n | sed -n 2p)
"$bin" serve --threads "$threads" --model "$bundle/deploy" --port 0 --port-file "$tmp/port" --quiet 2>"$out/$name.serve.log" &
spid=$!
for _ in $(seq 600); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")"
rss() { awk '/VmRSS/ { print $2 }' "/proc/$spid/status"; }
wrk -t2 -c8 -d5s -s "$here/predict.lua" "$url" >"$out/$name.warmup.txt" 2>&1
for c in 1 8 64; do
    t=2; [[ $c -eq 1 ]] && t=1
    wrk -t$t -c$c -d${secs}s --timeout 10s -s "$here/predict.lua" "$url" >"$out/$name.c$c.txt" 2>&1
done
rss0=$(rss)
wrk -t2 -c64 -d${long}s --timeout 10s -s "$here/predict.lua" "$url" >"$out/$name.long.txt" 2>&1
rss1=$(rss)
curl -s "$url/metrics" >"$out/$name.metrics.txt"
kill -TERM "$spid"; wait "$spid"; rc=$?; spid=""
j() { grep '^{' "$1" | tail -n 1; }
printf '{"name":"%s","threads":%s,"offline_img_s":%s,"c1":%s,"c8":%s,"c64":%s,"long":%s,"rss_kb_after_warmup":%s,"rss_kb_end":%s,"sigterm_rc":%s}\n' \
    "$name" "$threads" "$offline" "$(j "$out/$name.c1.txt")" "$(j "$out/$name.c8.txt")" "$(j "$out/$name.c64.txt")" \
    "$(j "$out/$name.long.txt")" "$rss0" "$rss1" "$rc" | tee "$out/$name.summary.json"
