#!/usr/bin/env bash
# Combined protection through the CLI (docs/PROTECT.md "Combined protection"):
# protect --advparams writes AdvParams-encrypted weights + keys/weights.key;
# predict/classify refuse the locked model without --weights-key (naming the
# file and the flag), unlock it in memory with the key (full accuracy, no
# plaintext written), run it encrypted with --locked (stolen file); bad
# weights keys are clear errors that write nothing; trace names the licensee
# of a leaked unlocked deployment.
# $1 = encryip binary, $2 = source dir.
set -uo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" combined "$1"
acc_of() { grep -o 'accuracy [0-9.]*' "$tmp/err" | cut -d' ' -f2; }
export OMP_NUM_THREADS=2
B="$tmp/bundle"
common=(--dataset fashion-mnist --model smallcnn --width 0.5 --limit 1500 --epochs 3 --warmup 0 --lr 0.03 --threads 2
        --eval-limit 300 --seed 3 --crypto-seed 4)
data=(--dataset fashion-mnist --limit 300 --threads 2)

# ---- protect --advparams ----
expect 2 "$bin" protect "${common[@]}" --licensees 3 --group paper --adv-budget 10 --out "$tmp/nope"
has "need --advparams" "$tmp/err"
expect 2 "$bin" protect "${common[@]}" --licensees 3 --group paper --advparams --adv-objective ce --out "$tmp/nope"
has "adv-objective" "$tmp/err"
[[ -e "$tmp/nope" ]] && fail "bad --adv-objective: bundle directory created"
expect 0 "$bin" protect "${common[@]}" --licensees 3 --group paper --advparams --adv-trials 8 --out "$B"
has "weights AdvParams-encrypted" "$tmp/out"
cat "$tmp/out"
[[ -f "$B/keys/weights.key" ]] || fail "no keys/weights.key"
[[ "$(stat -c %a "$B/keys/weights.key" 2>/dev/null)" == 600 ]] || fail "weights.key is not 0600"
grep -q '"advparams"' "$B/manifest.json" || fail "manifest without advparams"
grep -q '"keys/weights.key"' "$B/manifest.json" || fail "manifest does not list keys/weights.key"
files_before=$(cd "$B" && find . -type f | sort | xargs sha256sum | sha256sum)

# ---- locked model without --weights-key: clear error, nothing written ----
expect 2 "$bin" predict --model "$B/deploy" --dataset fashion-mnist --limit 20 --out "$tmp/p.ct"
has "deploy/model.safetensors" "$tmp/err"; has "--weights-key" "$tmp/err"; has "--locked" "$tmp/err"
[[ -e "$tmp/p.ct" ]] && fail "refused predict wrote its output"
expect 2 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" "${data[@]}" --out "$tmp/x.txt"
has "AdvParams-encrypted" "$tmp/err"
[[ -e "$tmp/x.txt" ]] && fail "refused classify wrote its output"
expect 2 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" --weights-key "$B/keys/weights.key" \
    --locked "${data[@]}"
has "at most one of" "$tmp/err"
# plain-label AdvParams on a Φ-output model: refused, not silently "encrypted"
expect 2 "$bin" advparams encrypt --model "$B/deploy/model.safetensors" --dataset fashion-mnist \
    --out "$tmp/e.st" --key "$tmp/e.key"
has "EncryIP-protected" "$tmp/err"
[[ -e "$tmp/e.st" || -e "$tmp/e.key" ]] && fail "refused advparams encrypt wrote its output"

# ---- licensee: weights key + sk_j, unlocked in memory ----
expect 0 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" --weights-key "$B/keys/weights.key" \
    "${data[@]}" --out "$tmp/lic.txt"
lic=$(acc_of); echo "licensee accuracy $lic"
awk -v a="$lic" 'BEGIN { exit !(a > 0.5) }' || fail "licensee accuracy $lic"
expect 0 "$bin" predict --model "$B" --weights-key "$B/keys/weights.key" --dataset fashion-mnist --limit 20
[[ $(wc -l <"$tmp/out") -eq 20 ]] || fail "predict with the weights key printed $(wc -l <"$tmp/out") lines"
# ---- stolen file: the encrypted weights as they are ----
expect 0 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" --locked "${data[@]}"
has "encrypted" "$tmp/err"
stolen=$(acc_of); echo "stolen-file accuracy (licensee key, no weights key) $stolen"
awk -v a="$stolen" -v l="$lic" 'BEGIN { exit !(a < 0.35 && a < l - 0.3) }' || fail "stolen-file accuracy $stolen"
# nothing in the bundle changed, no plaintext model appeared
[[ "$(cd "$B" && find . -type f | sort | xargs sha256sum | sha256sum)" == "$files_before" ]] ||
    fail "the bundle changed"
[[ -z "$(find "$tmp" -name '*.safetensors' -not -path "$B/*")" ]] || fail "a model file was written"

# ---- bad weights keys: clear errors, nothing written ----
cp "$B/keys/weights.key" "$tmp/corrupt.key"
/usr/bin/python3 - "$tmp/corrupt.key" <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-1] ^= 0x40; open(p, "wb").write(bytes(b))
EOF
expect 4 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" --weights-key "$tmp/corrupt.key" \
    "${data[@]}" --out "$tmp/bad1.txt"
has "corrupt.key" "$tmp/err"; has "checksum" "$tmp/err"
[[ -e "$tmp/bad1.txt" ]] && fail "corrupted key: output written"
expect 4 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" --weights-key "$B/keys/licensee-1.key" \
    "${data[@]}" --out "$tmp/bad2.txt"
has "licensee-1.key: .*AdvParams key" "$tmp/err"
[[ -e "$tmp/bad2.txt" ]] && fail "licensee key as weights key: output written"
expect 3 "$bin" predict --model "$B/deploy" --weights-key "$tmp/missing.key" --dataset fashion-mnist --limit 5
# advparams decrypt refuses to write a bundle's weights in plaintext
expect 1 "$bin" advparams decrypt --model "$B/deploy/model.safetensors" --key "$B/keys/weights.key" \
    --out "$tmp/plain-out.safetensors"
has "unlocked in memory only" "$tmp/err"
[[ -e "$tmp/plain-out.safetensors" ]] && fail "advparams decrypt wrote a bundle's weights in plaintext"
# the weights key of another model (AdvParams on a plain model)
expect 0 "$bin" train --dataset fashion-mnist --model smallcnn --width 0.5 --limit 1000 --epochs 1 \
    --threads 2 --seed 8 --out "$tmp/plain.safetensors"
expect 0 "$bin" advparams encrypt --model "$tmp/plain.safetensors" --dataset fashion-mnist --images 128 \
    --test-limit 100 --threads 2 --out "$tmp/plain-enc.safetensors" --key "$tmp/other.key"
expect 5 "$bin" classify --model "$B/deploy" --key "$B/keys/licensee-2.key" --weights-key "$tmp/other.key" \
    "${data[@]}" --out "$tmp/bad3.txt"
has "another model" "$tmp/err"; has "other.key" "$tmp/err"
[[ -e "$tmp/bad3.txt" ]] && fail "other model's key: output written"
# a protected model without encrypted weights takes no weights key
mkdir "$tmp/unenc"
expect 0 "$bin" protect --dataset fashion-mnist --model smallcnn --width 0.5 --limit 300 --epochs 1 \
    --threads 2 --eval-limit 50 --seed 3 --crypto-seed 5 --licensees 2 --group paper --verify-reps 5 --allow-unmemorised \
    --out "$tmp/unenc/b"
expect 2 "$bin" predict --model "$tmp/unenc/b" --weights-key "$B/keys/weights.key" --dataset fashion-mnist --limit 5
has "not AdvParams-encrypted" "$tmp/err"

# ---- trace ----
expect 0 "$bin" trace --bundle "$B" --no-log --suspect \
    "$bin classify --model $B/deploy --key $B/keys/licensee-2.key --weights-key $B/keys/weights.key --input"
has "^licensee 2 (licensee-2)" "$tmp/out"
# the stolen file deployed with licensee 2's key: reported as measured
rc=0
"$bin" trace --bundle "$B" --no-log --suspect \
    "$bin classify --model $B/deploy --key $B/keys/licensee-2.key --locked --input" >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc -eq 0 || $rc -eq 6 ]] || fail "trace of the locked deployment: exit $rc"
echo "locked deployment of licensee 2 (exit $rc): $(tail -1 "$tmp/out")"

finish combined
