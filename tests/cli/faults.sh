#!/usr/bin/env bash
# Fault table of issue 12, as a user meets the faults (docs/CLI.md "Faults"):
# a disk that fills midway (a small tmpfs in a private mount namespace),
# stdout on /dev/full, a FIFO or a directory as input, a trailing slash, a
# flipped byte in each deploy/owner file, and kill -9 at random moments
# during keygen and protect.  For each: the documented exit code, a message
# naming the file, and nothing lost (the previous key set or bundle intact
# and usable; no half-written output that a later command accepts).
# $1 = encryip binary, $2 = source dir.
set -uo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" faults "$1"
export OMP_NUM_THREADS=2

# A private mount namespace for the full-disk cases: as root directly,
# otherwise in a user namespace; skipped (with the reason) if neither works.
ns=()
if unshare -m true 2>/dev/null; then ns=(unshare -m)
elif unshare -Urm true 2>/dev/null; then ns=(unshare -Urm)
fi

# ---- keygen onto a disk that fills midway: nothing, or the old set intact ----
expect 0 "$bin" keygen --classes 10 --licensees 3 --group paper --seed 3 --out "$tmp/keys"
(cd "$tmp/keys" && sha256sum ./* > "$tmp/keys.sum")
if ((${#ns[@]})); then
    mkdir -p "$tmp/mnt"
    # 400 ristretto255 licensees need ~100 KiB; the tmpfs has 96 KiB, about
    # half of it taken by a copy of the old key set
    "${ns[@]}" bash -c "
        mount -t tmpfs -o size=96k none '$tmp/mnt' || exit 90
        cp -a '$tmp/keys' '$tmp/mnt/keys'
        '$bin' keygen --classes 10 --licensees 400 --out '$tmp/mnt/new' >'$tmp/o1' 2>'$tmp/e1'; echo \$? >'$tmp/rc1'
        '$bin' keygen --classes 10 --licensees 400 --out '$tmp/mnt/keys' --force >'$tmp/o2' 2>'$tmp/e2'; echo \$? >'$tmp/rc2'
        ls -A '$tmp/mnt' >'$tmp/ls'
        (cd '$tmp/mnt/keys' && sha256sum -c --quiet '$tmp/keys.sum') >'$tmp/sumcheck' 2>&1; echo \$? >'$tmp/rc3'
        '$bin' keyring init --from '$tmp/mnt/keys' --out '$tmp/ring-after-full.db' >/dev/null 2>&1; echo \$? >'$tmp/rc4'
    "
    if [[ -f "$tmp/rc1" ]]; then
        check "full disk: new key set refused (exit 3)" test "$(cat "$tmp/rc1")" = 3
        check "full disk: message names the key set" grep -q "mnt/new: key set not written" "$tmp/e1"
        check "full disk: says why" grep -q "No space left on device" "$tmp/e1"
        check "full disk --force: refused (exit 3)" test "$(cat "$tmp/rc2")" = 3
        check "full disk: no partial set, no temporaries" test "$(cat "$tmp/ls")" = "keys"
        check "full disk --force: old key set byte-identical" test "$(cat "$tmp/rc3")" = 0
        check "full disk --force: old key set still usable (keyring init)" test "$(cat "$tmp/rc4")" = 0
    else
        fail "full disk: could not mount a tmpfs in a private namespace"
    fi
else
    echo "skip full-disk cases: no private mount namespace (unshare -m / -Urm refused)"
fi

# ---- keygen killed at random moments: complete set or nothing ----
for i in $(seq 1 30); do
    d="$tmp/kk$i"
    "$bin" keygen --classes 10 --licensees 300 --out "$d" >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$((RANDOM % 6))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [[ -e "$d" ]]; then
        n=$(ls "$d" | wc -l)
        [[ $n -eq 302 ]] || fail "keygen killed: $d holds $n files, not a whole set (302)"
    fi
done
ls -d "$tmp"/kk*.tmp.* >/dev/null 2>&1 && pass "killed keygens left temporaries (swept by the next run)"
for i in $(seq 1 30); do
    [[ -e "$tmp/kk$i" ]] && continue
    "$bin" keygen --classes 10 --licensees 2 --out "$tmp/kk$i" >/dev/null 2>&1 || fail "keygen after kill"
done
if ls -d "$tmp"/kk*.tmp.* >/dev/null 2>&1; then
    fail "temporaries of killed keygens not swept by the next run: $(ls -d "$tmp"/kk*.tmp.* | head -3)"
else
    pass "keygen: killed runs left whole sets or nothing; leftovers swept"
fi

# ---- stdout on a full device: never a silent success ----
"$bin" keyring init --from "$tmp/keys" --out "$tmp/ring.db" >/dev/null 2>&1 || fail "keyring init"
expect_rc 3 "licensee list > /dev/full" -- bash -c "'$bin' licensee list --keyring '$tmp/ring.db' >/dev/full"
check "says stdout failed" grep -q "stdout: write failed" err.log
printf '1\n2\n3\n' > "$tmp/l.txt"
"$bin" encrypt-labels --pk "$tmp/keys/public.key" --labels "$tmp/l.txt" --out "$tmp/l.ct" 2>/dev/null ||
    fail "encrypt-labels"

# ---- issue killed at random moments: every key handed out stays unique ----
# (issue saves the updated master key before writing the new key, so a kill
# never leaves a key whose b could be issued again; docs/DESIGN.md)
# (q = 101: room for 100 licensees, so that however many of the 30 killed
# runs finish, the last issue still has a b to draw; q = 11 of $tmp/keys has
# room for 10 and a fast machine finishes 7 of the 30)
"$bin" keygen --classes 10 --licensees 3 --group paper --q 101 --seed 4 --out "$tmp/ik" >/dev/null 2>&1 ||
    fail "keygen for issue"
"$bin" encrypt-labels --pk "$tmp/ik/public.key" --labels "$tmp/l.txt" --out "$tmp/ik-l.ct" 2>/dev/null ||
    fail "encrypt-labels for issue"
for i in $(seq 1 30); do
    "$bin" issue --master "$tmp/ik/master.key" --pk "$tmp/ik/public.key" --out "$tmp/ik/new-$i.key" \
        >/dev/null 2>&1 &
    pid=$!
    sleep "0.00$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done
"$bin" issue --master "$tmp/ik/master.key" --pk "$tmp/ik/public.key" --out "$tmp/ik/final.key" >/dev/null 2>&1 ||
    fail "issue after 30 kills"
ls "$tmp"/ik/master.key.tmp.* >/dev/null 2>&1 && fail "issue: master key temporaries of dead writers left"
# every key file present decrypts, and no two share an index (distinct b)
ok=1
for k in "$tmp"/ik/new-*.key "$tmp/ik/final.key"; do
    [[ -f "$k" ]] || continue
    "$bin" decrypt --key "$k" --in "$tmp/ik-l.ct" --expect "$tmp/l.txt" >/dev/null 2>&1 || { ok=0; fail "issued $k does not decrypt"; }
done
dups=$(for k in "$tmp"/ik/new-*.key "$tmp/ik/final.key"; do [[ -f "$k" ]] && sha256sum < "$k"; done | sort | uniq -d | wc -l)
check "issue: 30 kills, every key left decrypts, none duplicated" test "$ok$dups" = 10

# ---- FIFO and directory as input: refused at once, naming the file ----
mkfifo "$tmp/fifo"
expect_rc 3 "decrypt --key FIFO does not hang" -- timeout 10 "$bin" decrypt --key "$tmp/fifo" --in "$tmp/l.ct"
check "FIFO named" grep -q "fifo: is a FIFO, not a regular file" err.log
expect_rc 3 "decrypt --key DIR" -- "$bin" decrypt --key "$tmp/keys" --in "$tmp/l.ct"
check "directory named" grep -q "keys: is a directory, not a regular file" err.log

# ---- protect: trailing slash, checks before training, tampering ----
B="$tmp/bundle"
common=(--dataset fashion-mnist --model smallcnn --width 0.25 --limit 600 --epochs 2 --warmup 0 --lr 0.03
        --threads 2 --eval-limit 100 --seed 3 --crypto-seed 4 --licensees 2 --group paper
        --allow-unmemorised)
expect_rc 0 "protect --out DIR/ (trailing slash)" -- "$bin" protect "${common[@]}" --out "$B/"
check "bundle at DIR" test -f "$B/manifest.json"
check "deploy integrity record" test -f "$B/deploy/integrity.json"
start=$(date +%s)
expect_rc 1 "protect over an existing bundle refused before training" -- "$bin" protect "${common[@]}" --out "$B/"
check "refused within seconds (no training)" test $(( $(date +%s) - start )) -lt 20
expect_rc 3 "protect into a missing parent refused before training" -- \
    "$bin" protect "${common[@]}" --out "$tmp/no/such/dir"
check "names the output" grep -q "no/such/dir" err.log
expect_rc 0 "classify on the intact bundle" -- "$bin" classify --model "$B" --key "$B/keys/licensee-1.key" \
    --dataset fashion-mnist --limit 50
for f in deploy/model.safetensors deploy/public.key deploy/codebook.bin; do
    cp "$B/$f" "$tmp/orig"
    size=$(stat -c %s "$B/$f")
    off=$((size / 2))
    printf '%b' "\\x$(printf '%02x' $(( ($(od -An -tu1 -j "$off" -N1 "$B/$f") ^ 1) & 255 )))" |
        dd of="$B/$f" bs=1 seek="$off" conv=notrunc status=none
    expect_rc 4 "predict refuses a flipped byte in $f" -- "$bin" predict --model "$B" --dataset fashion-mnist --limit 5
    check "names $f" grep -q "$(basename "$f")" err.log
    cp "$tmp/orig" "$B/$f"
done
expect_rc 3 "predict > /dev/full" -- bash -c "'$bin' predict --model '$B' --dataset fashion-mnist --limit 5 >/dev/full"
check "says stdout failed" grep -q "stdout: write failed" err.log
expect_rc 0 "predict after restoring" -- "$bin" predict --model "$B" --dataset fashion-mnist --limit 5
mv "$B/deploy/integrity.json" "$tmp/integrity.json"
expect_rc 4 "predict refuses a deploy dir without integrity.json" -- "$bin" predict --model "$B/deploy" --dataset fashion-mnist --limit 5
check "says what is missing and the override" grep -q "no integrity record integrity.json.*--unverified" err.log
expect_rc 0 "--unverified runs it" -- "$bin" predict --unverified --model "$B/deploy" --dataset fashion-mnist --limit 5
mv "$tmp/integrity.json" "$B/deploy/integrity.json"
for f in owner/verification.json owner/verification.ct owner/verification.idx; do
    cp "$B/$f" "$tmp/orig"
    printf 'X' | dd of="$B/$f" bs=1 seek=$(( $(stat -c %s "$B/$f") / 2 )) conv=notrunc status=none
    expect_rc 4 "trace refuses a modified $f" -- "$bin" trace --bundle "$B" --no-log --suspect "true"
    check "names $f" grep -q "$f: modified or corrupted" err.log
    cp "$tmp/orig" "$B/$f"
done
# eval of a protected model: refused with the hint, not "accuracy 0.02"
expect_rc 4 "eval of a protected model refused" -- "$bin" eval --model "$B/deploy/model.safetensors"
check "hint to classify" grep -q "encryip classify" err.log

# ---- protect killed at random moments: whole bundle or nothing ----
for i in $(seq 1 10); do
    d="$tmp/pk$i"
    "$bin" protect "${common[@]}" --out "$d" >/dev/null 2>&1 &
    pid=$!
    sleep "$((RANDOM % 5)).$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [[ -e "$d" ]]; then
        expect_rc 0 "killed protect $i: what it left at DIR is a whole, verified bundle" -- \
            "$bin" predict --model "$d" --dataset fashion-mnist --limit 5
    else
        pass "killed protect $i: nothing at DIR"
    fi
done
# the next run on each output sweeps what the killed one left (keys inside)
"$bin" protect "${common[@]}" --out "$tmp/pk1" --force >/dev/null 2>&1 ||
    "$bin" protect "${common[@]}" --out "$tmp/pk1" >/dev/null 2>&1 || fail "protect after kill"
if ls -d "$tmp"/pk1.tmp.* >/dev/null 2>&1; then fail "pk1 temporaries not swept"; else pass "pk1: leftovers swept"; fi


# ---- --precision bf16 on a CPU without AVX-512 bf16 (emulated with oneDNN's ISA cap) ----
# train warns and runs fp32 (docs/CLI.md "--precision"); an experiment refuses, because its
# tables would be labelled bf16 (exit 1, nothing written).
expect_rc 0 "train --precision bf16 without bf16: fp32 with a warning" -- \
    env DNNL_MAX_CPU_ISA=AVX2 "$bin" train --dataset mnist --model smallcnn --width 0.25 --limit 64 \
    --epochs 1 --threads 1 --precision bf16 --out "$tmp/bf16.st"
check "train: the warning names bf16 and fp32" grep -q "precision bf16.*running in fp32" err.log
expect_rc 1 "experiment table1 --precision bf16 without bf16: refused" -- \
    env DNNL_MAX_CPU_ISA=AVX2 "$bin" experiment table1 --models smallcnn --datasets mnist --limit 64 \
    --repeats 1 --epochs 1 --threads 1 --precision bf16 --out "$tmp/t1bf16"
check "experiment: the error names bf16" grep -q "precision bf16: this CPU has no AVX-512 bf16" err.log
check "experiment: no table written" test ! -e "$tmp/t1bf16/table1.csv"

finish faults
