#!/usr/bin/env bash
# encryip serve end to end (docs/SERVE.md): a tiny protected bundle served on
# a kernel-picked loopback port (--port 0 --port-file; the test stops every
# server itself): refusals of secret-holding directories, the GET endpoints,
# answers decrypted by every licensee key = local classify, fresh answers per
# request, dynamic batching, the bad-request table (serve_requests.py), remote
# trace through a labelling proxy (serve_proxy.py) naming the leaker and
# nobody for an honest model, SIGTERM drain under load (exit 0, every request
# answered), kill -9 under load then restart.
# $1 = encryip binary, $2 = source dir.
# Re-runs while developing: SERVE_TEST_BUNDLE / SERVE_TEST_PLAIN name an
# existing bundle (these protect settings) / plain model to skip training.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/cli/common.bash
source "$here/common.bash" serve_cli "$1"
export OMP_NUM_THREADS=2
PY=/usr/bin/python3
pids=()
cleanup() {
    for p in "${pids[@]}"; do { kill -9 "$p"; wait "$p"; } 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
# start_serve NAME ARGS...: serve in the background, waits (<= 60 s) for its
# port file; sets SPID and SPORT.
start_serve() {
    local name=$1; shift
    rm -f "$tmp/$name.port"
    "$bin" serve --port-file "$tmp/$name.port" "$@" 2>"$tmp/$name.log" &
    SPID=$!
    pids+=("$SPID")
    for _ in $(seq 600); do
        [[ -s "$tmp/$name.port" ]] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    SPORT=$(cat "$tmp/$name.port" 2>/dev/null)
    [[ -n "$SPORT" ]] || { fail "serve $name did not start"; tail -n 5 "$tmp/$name.log" >&2; }
}
# start_proxy NAME CMD...: serve_proxy.py in the background; sets PPORT.
start_proxy() {
    local name=$1; shift
    $PY "$here/serve_proxy.py" "$tmp/$name.port" "$@" &
    pids+=("$!")
    for _ in $(seq 300); do [[ -s "$tmp/$name.port" ]] && break; sleep 0.1; done
    PPORT=$(cat "$tmp/$name.port")
}
# stop PID: SIGTERM, wait (<= 60 s), the exit code in STOP_RC.
stop() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    STOP_RC=0
    wait "$1" || STOP_RC=$?
}
B="$tmp/bundle"
if [[ -n "${SERVE_TEST_BUNDLE:-}" ]]; then
    cp -r "$SERVE_TEST_BUNDLE" "$B"
else
    expect 0 "$bin" protect --dataset fashion-mnist --model smallcnn --width 0.5 --limit 1500 --epochs 3 --warmup 0 \
        --lr 0.03 --threads 2 --eval-limit 300 --seed 3 --crypto-seed 4 --licensees 3 --group paper --out "$B"
fi
if [[ -n "${SERVE_TEST_PLAIN:-}" ]]; then
    cp "$SERVE_TEST_PLAIN" "$tmp/plain.safetensors"
else
    expect 0 "$bin" train --dataset fashion-mnist --model smallcnn --width 0.5 --limit 1000 --epochs 1 \
        --threads 2 --seed 8 --out "$tmp/plain.safetensors"
fi

# ---- refusals: the server never starts next to a secret ----
expect 5 "$bin" serve --model "$B" --port 0
has "(secret keys): this is a bundle root" "$tmp/err"
cp -r "$B/deploy" "$tmp/deploy-with-key"
cp "$B/keys/licensee-1.key" "$tmp/deploy-with-key/"
expect 5 "$bin" serve --model "$tmp/deploy-with-key" --port 0
has "licensee-1.key: is a secret key" "$tmp/err"
cp "$B/owner/keyring.sqlite" "$tmp/deploy-with-key/licensee-1.key"
expect 5 "$bin" serve --model "$tmp/deploy-with-key" --port 0
expect 2 "$bin" serve --model "$B/deploy" --port 70000
expect 2 "$bin" serve --model "$B/deploy" --max-body 10
mkdir "$tmp/plaindir" && cp "$tmp/plain.safetensors" "$tmp/plaindir/model.safetensors"
expect 4 "$bin" serve --model "$tmp/plaindir" --port 0
has "not a protected model" "$tmp/err"

# ---- the main server ----
start_serve a --model "$B/deploy" --port 0 --timeout 3 --max-body 200000 --max-images 16 --batch-wait 50
A="http://127.0.0.1:$SPORT"
A_PID=$SPID
check "healthz" bash -c "curl -sf $A/healthz | grep -q '\"ok\"'"
curl -sf "$A/v1/model" >"$tmp/model.json" || fail "GET /v1/model"
has '"input":{"channels":1,"height":28,"width":28' "$tmp/model.json"
grep -q '"label' "$tmp/model.json" && fail "/v1/model names labels"
curl -sf "$A/v1/public-key" >"$tmp/pk.json" || fail "GET /v1/public-key"
check "public key = deploy/public.key" $PY -c "
import base64, json, sys
j = json.load(open('$tmp/pk.json'))
sys.exit(base64.b64decode(j['public_key']) != open('$B/deploy/public.key', 'rb').read())"

# answers decrypt to the right labels with every licensee key (= local classify)
for j in 1 2 3; do
    expect 0 "$bin" classify --remote "$A" --key "$B/keys/licensee-$j.key" --dataset fashion-mnist --limit 200 \
        --remote-batch 16 --out "$tmp/r$j.txt"
    racc=$(grep -o 'accuracy [0-9.]*' "$tmp/err" | cut -d' ' -f2)
    expect 0 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-$j.key" --dataset fashion-mnist --limit 200 \
        --out "$tmp/l$j.txt"
    lacc=$(grep -o 'accuracy [0-9.]*' "$tmp/err" | cut -d' ' -f2)
    check "licensee $j: remote labels = local labels" cmp -s "$tmp/r$j.txt" "$tmp/l$j.txt"
    check "licensee $j: remote accuracy $racc = local $lacc" test "$racc" = "$lacc"
done
awk -v a="$racc" 'BEGIN { exit !(a > 0.6) }' || fail "remote accuracy $racc"
# a key of another keygen is refused before any image is sent
"$bin" keygen --classes 10 --licensees 1 --group paper --seed 5 --out "$tmp/other" >/dev/null 2>&1
expect 5 "$bin" classify --remote "$A" --key "$tmp/other/licensee-1.key" --dataset fashion-mnist --limit 5
has "another public key" "$tmp/err"
expect 3 "$bin" classify --remote "http://127.0.0.1:1" --key "$B/keys/licensee-1.key" --dataset fashion-mnist --limit 5

# two answers to the same images differ (SampDist per request); JSON and
# float32 bodies give answers too
$PY - "$tmp" <<'PYEOF'
import base64, gzip, struct, sys
t = sys.argv[1]
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:16 + 12 * 784]
open(f"{t}/imgs.bin", "wb").write(raw)
open(f"{t}/imgs.f32", "wb").write(struct.pack(f"<{len(raw)}f", *[b / 255.0 for b in raw]))
import json
open(f"{t}/imgs.json", "w").write(json.dumps({"images": [
    {"data": base64.b64encode(raw[i * 784:(i + 1) * 784]).decode(), "dtype": "uint8", "shape": [1, 28, 28]}
    for i in range(12)]}))
PYEOF
post() { curl -s -o "$1" -w '%{http_code}' -H "Content-Type: $2" --data-binary "@$3" "$A/v1/predict$4"; }
[[ $(post "$tmp/ans1.json" application/octet-stream "$tmp/imgs.bin" '?dtype=uint8&shape=12,1,28,28') == 200 ]] || fail "raw predict"
[[ $(post "$tmp/ans2.json" application/octet-stream "$tmp/imgs.bin" '?dtype=uint8&shape=12,1,28,28') == 200 ]] || fail "raw predict 2"
[[ $(post "$tmp/ans3.json" application/json "$tmp/imgs.json" '') == 200 ]] || fail "JSON predict"
[[ $(post "$tmp/ans4.json" application/octet-stream "$tmp/imgs.f32" '?dtype=float32&shape=12,1,28,28') == 200 ]] || fail "float32 predict"
check "answers carry 12 ciphertexts and the key id" $PY -c "
import json, sys
k = json.load(open('$tmp/model.json'))['key_id']
for f in ('ans1', 'ans2', 'ans3', 'ans4'):
    a = json.load(open('$tmp/' + f + '.json'))
    assert a['count'] == 12 and len(a['ciphertexts']) == 12 and a['key_id'] == k, f"
check "two answers to the same images differ" $PY -c "
import json, sys
a, b = (json.load(open('$tmp/' + f + '.json'))['ciphertexts'] for f in ('ans1', 'ans2'))
sys.exit(a == b)"

# dynamic batching: 8 simultaneous requests, fewer engine batches
check "8 concurrent requests answered" $PY - "$SPORT" <<'PYEOF'
import http.client, sys, threading
port, img = int(sys.argv[1]), bytes(784 * 2)
bar, st = threading.Barrier(8), []
def go():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.connect()
    bar.wait()
    c.request("POST", "/v1/predict?dtype=uint8&shape=2,1,28,28", img, {"Content-Type": "application/octet-stream"})
    r = c.getresponse(); r.read(); st.append(r.status)
ts = [threading.Thread(target=go) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
sys.exit(st != [200] * 8)
PYEOF
curl -sf "$A/metrics" >"$tmp/metrics.txt" || fail "GET /metrics"
has 'encryip_requests_total{path="/v1/predict",code="200"}' "$tmp/metrics.txt"
has 'encryip_request_duration_seconds_bucket{le="+Inf"}' "$tmp/metrics.txt"
npred=$(grep 'encryip_requests_total{path="/v1/predict",code="200"}' "$tmp/metrics.txt" | awk '{print $2}')
nbatch=$(grep '^encryip_batch_images_count' "$tmp/metrics.txt" | awk '{print $2}')
check "dynamic batching: $nbatch engine batches for $npred predict requests" test "$nbatch" -lt "$npred"

# ---- the bad-request table; the server keeps serving ----
check "bad-request table" $PY "$here/serve_requests.py" "$SPORT" 1 28 28 200000 16
check "healthz after the table" curl -sf -o /dev/null "$A/healthz"

# ---- remote trace through a labelling proxy ----
start_proxy leak "$bin" classify --remote "$A" --key "$B/keys/licensee-2.key" --input
expect 0 "$bin" trace --bundle "$B" --suspect-url "http://127.0.0.1:$PPORT/" --labels-path result.labels --no-log
has "^licensee 2 " "$tmp/out"
cp "$tmp/out" "$tmp/trace-url.txt"
expect 0 "$bin" trace --bundle "$B" --no-log \
    --suspect "$bin classify --remote $A --key $B/keys/licensee-2.key --input"
has "^licensee 2 " "$tmp/out"
start_proxy honest "$bin" classify --plain --model "$tmp/plain.safetensors" --input
expect 6 "$bin" trace --bundle "$B" --suspect-url "http://127.0.0.1:$PPORT/" --labels-path result.labels --no-log
has "^no licensee" "$tmp/out"
expect 4 "$bin" trace --bundle "$B" --suspect-url "http://127.0.0.1:$PPORT/" --labels-path nothing.here --no-log
has "labels-path" "$tmp/err"
expect 2 "$bin" trace --bundle "$B" --suspect-url "http://127.0.0.1:$PPORT/" --suspect "cat" --no-log

# ---- ristretto255: 152-byte ciphertexts, every key = local classify ----
# (throughput-sized bundle: labels need not be accurate, only equal)
R="$tmp/bundle-r"
expect 0 "$bin" protect --dataset fashion-mnist --model smallcnn --width 0.25 --limit 300 --epochs 1 --warmup 0 \
    --threads 2 --eval-limit 50 --seed 3 --crypto-seed 6 --licensees 2 --group ristretto255 --verify-reps 1 \
    --allow-unmemorised --out "$R"
start_serve r --model "$R/deploy" --port 0 --quiet
for j in 1 2; do
    expect 0 "$bin" classify --remote "http://127.0.0.1:$SPORT" --key "$R/keys/licensee-$j.key" --dataset fashion-mnist \
        --limit 60 --out "$tmp/rr$j.txt"
    expect 0 "$bin" classify --model "$R/deploy" --key "$R/keys/licensee-$j.key" --dataset fashion-mnist --limit 60 \
        --out "$tmp/rl$j.txt"
    check "ristretto255 licensee $j: remote labels = local labels" cmp -s "$tmp/rr$j.txt" "$tmp/rl$j.txt"
done
expect 5 "$bin" classify --remote "http://127.0.0.1:$SPORT" --key "$B/keys/licensee-1.key" --dataset fashion-mnist --limit 5
stop "$SPID"

# one log line per request: method, path, status, latency, images
check "log lines" grep -qE '^[0-9T:-]+Z POST /v1/predict 200 [0-9.]+ms images=12$' "$tmp/a.log"
check "log line for an error" grep -qE '^[0-9T:-]+Z GET /v2/predict 404 [0-9.]+ms images=0$' "$tmp/a.log"
nlog=$(grep -cE '^[0-9T:-]+Z [A-Z]+ /' "$tmp/a.log")
curl -sf "$A/metrics" >"$tmp/metrics.txt"
nreq=$(grep '^encryip_requests_total' "$tmp/metrics.txt" | awk '{ s += $2 } END { print s }')
check "one log line per request ($nlog lines, $nreq requests before this one)" test "$nlog" -eq "$nreq"
stop "$A_PID"
check "SIGTERM: exit 0 (got $STOP_RC)" test "$STOP_RC" -eq 0

# ---- --max-connections: a connection over the limit is not served, the others are ----
start_serve lim --model "$B/deploy" --port 0 --max-connections 2 --quiet
check "--max-connections 2: a third connection is refused, served again once one closes" $PY - "$SPORT" <<'PYEOF'
import http.client, socket, sys, time
port = int(sys.argv[1])
def predict():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/v1/predict?dtype=uint8&shape=1,1,28,28", bytes(784), {"Content-Type": "application/octet-stream"})
    r = c.getresponse(); r.read(); c.close()
    return r.status
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.5)
try:
    third = predict()
except (ConnectionError, OSError, http.client.HTTPException):
    third = None
for s in held:
    s.close()
time.sleep(0.5)
after = predict()
print("third connection:", third, "after closing:", after)
sys.exit(not (third is None and after == 200))
PYEOF
stop "$SPID"

# ---- SIGTERM drains requests in flight ----
start_serve drain --model "$B/deploy" --port 0 --batch-wait 400 --max-batch 1000
check "SIGTERM drains 6 queued requests, all answered 200" $PY - "$SPORT" "$SPID" <<'PYEOF'
import http.client, os, signal, sys, threading, time
port, pid, st = int(sys.argv[1]), int(sys.argv[2]), []
def go():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/v1/predict?dtype=uint8&shape=1,1,28,28", bytes(784), {"Content-Type": "application/octet-stream"})
    r = c.getresponse(); r.read(); st.append(r.status)
ts = [threading.Thread(target=go) for _ in range(6)]
[t.start() for t in ts]
for _ in range(200):  # until all six are in flight (waiting for the batch)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics"); m = c.getresponse().read().decode()
    if any(l.startswith("encryip_inflight_requests") and int(l.split()[1]) >= 7 for l in m.splitlines()):
        break
    time.sleep(0.01)
os.kill(pid, signal.SIGTERM)
[t.join() for t in ts]
print("statuses", st)
sys.exit(st != [200] * 6)
PYEOF
stop "$SPID"
check "drained server exits 0 (got $STOP_RC)" test "$STOP_RC" -eq 0

# ---- kill -9 under load, restart on the same port, serves again ----
start_serve k1 --model "$B/deploy" --port 0 --quiet
KPORT=$SPORT
$PY - "$KPORT" <<'PYEOF' &
import http.client, sys, time
port, t_end = int(sys.argv[1]), time.time() + 30
while time.time() < t_end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("POST", "/v1/predict?dtype=uint8&shape=4,1,28,28", bytes(4 * 784), {"Content-Type": "application/octet-stream"})
        c.getresponse().read()
    except Exception:
        time.sleep(0.05)
PYEOF
LOAD=$!
pids+=("$LOAD")
sleep 2
kill -9 "$SPID"
wait "$SPID" 2>/dev/null
start_serve k2 --model "$B/deploy" --port "$KPORT" --quiet
check "restarted after kill -9 on port $KPORT: answers" bash -c "curl -sf -H 'Content-Type: application/octet-stream' \
    --data-binary @$tmp/imgs.bin 'http://127.0.0.1:$KPORT/v1/predict?dtype=uint8&shape=12,1,28,28' | grep -q '\"count\":12'"
kill "$LOAD" 2>/dev/null
stop "$SPID"
check "restarted server exits 0 on SIGTERM (got $STOP_RC)" test "$STOP_RC" -eq 0
finish serve_cli
