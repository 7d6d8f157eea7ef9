#!/usr/bin/env bash
# End-to-end CLI test of AdvParams and the model attacks: train a tiny model,
# advparams encrypt -> decrypt gives back the byte-identical file; a key for
# another model, a corrupted and a truncated key are refused with a clear
# error and leave the model untouched and no output; attack prune /
# finetune / adaptive run and write their models.
# $1 = encryip binary, $2 = source dir.  Any failed check exits non-zero.
set -euo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" advparams_cli "$1"
T="--threads 2"

for c in "advparams encrypt" "advparams decrypt" "attack prune" "attack finetune" "attack adaptive" "experiment advparams"; do
    # shellcheck disable=SC2086
    expect_rc 0 "$c --help" -- "$bin" $c --help
    grep -q "usage: encryip $c" out.log || fail "$c --help prints usage"
done

expect_rc 0 "train model A" -- "$bin" train --model smallcnn --width 0.5 --dataset fashion-mnist --limit 2000 \
    --epochs 2 --optim adamw --lr 0.002 $T --out a.st
expect_rc 0 "train model B" -- "$bin" train --model smallcnn --width 0.5 --dataset fashion-mnist --limit 1000 \
    --epochs 1 --seed 7 $T --out b.st

expect_rc 0 "encrypt A" -- "$bin" advparams encrypt --model a.st --dataset fashion-mnist --out a.enc.st --key a.key \
    --images 128 --trials 4 --test-limit 500 $T
cat out.log
check "key is 0600" test "$(stat -c %a a.key)" = 600
acc=$(sed -n 's/^test accuracy [0-9.]* -> \([0-9.]*\) .*/\1/p' out.log)
check "encrypted accuracy near chance ($acc)" awk -v a="$acc" 'BEGIN { exit !(a <= 0.25) }'
# --data: the deprecated alias of --dataset, still accepted
expect_rc 0 "encrypt B (loss objective, --data alias)" -- "$bin" advparams encrypt --model b.st --data fashion-mnist --out b.enc.st \
    --key b.key --images 64 --trials 2 --budget 3 --objective loss --test-limit 100 $T

expect_rc 0 "decrypt A" -- "$bin" advparams decrypt --model a.enc.st --key a.key --out a.dec.st
check "decrypted file is byte-identical to the original" cmp -s a.st a.dec.st

sum_before=$(sha256sum a.enc.st)
expect_rc 5 "key of another model refused" -- "$bin" advparams decrypt --model a.enc.st --key b.key --out x.st
check "error names the reason" grep -q "another model" err.log
check "no output on refusal" test ! -e x.st
expect_rc 5 "decrypting the original refused" -- "$bin" advparams decrypt --model a.st --key a.key --out x.st
cp a.key bad.key
printf '\x55' | dd of=bad.key bs=1 seek=100 conv=notrunc status=none
expect_rc 4 "corrupted key refused" -- "$bin" advparams decrypt --model a.enc.st --key bad.key --out x.st
check "corruption names the key file" grep -q "bad.key" err.log
head -c 90 a.key > short.key
expect_rc 4 "truncated key refused" -- "$bin" advparams decrypt --model a.enc.st --key short.key --out x.st
check "truncation is reported" grep -q "truncated" err.log
expect_rc 3 "missing key" -- "$bin" advparams decrypt --model a.enc.st --key none.key --out x.st
check "no output after any refusal" test ! -e x.st
check "model untouched by the refusals" test "$(sha256sum a.enc.st)" = "$sum_before"
expect_rc 2 "bad --budget" -- "$bin" advparams encrypt --model a.st --dataset fashion-mnist --out y --key y.key --budget 0
expect_rc 2 "bad --layers" -- "$bin" advparams encrypt --model a.st --dataset fashion-mnist --out y --key y.key --layers xyz
expect_rc 2 "bad --objective" -- "$bin" advparams encrypt --model a.st --dataset fashion-mnist --out y --key y.key --objective ce
check "--objective error names the choices" grep -q "not loss or margin" err.log
expect_rc 2 "experiment: bad --objective" -- "$bin" experiment advparams --objective ce --out exp
expect_rc 2 "experiment: bad --reach" -- "$bin" experiment advparams --reach 0 --out exp
check "--reach error names the flag" grep -q -- "--reach" err.log
expect_rc 2 "experiment: unknown dataset" -- "$bin" experiment advparams --dataset svhn --out exp
check "unknown dataset named" grep -q "svhn" err.log
check "refused runs write nothing" test ! -e exp

expect_rc 0 "attack prune" -- "$bin" attack prune --model a.enc.st --ratio 0.5 --test-limit 200 $T --out p.st
check "prune wrote the model" test -s p.st
expect_rc 2 "attack prune bad ratio" -- "$bin" attack prune --model a.st --ratio 1.5 --out p2.st
expect_rc 0 "attack adaptive" -- "$bin" attack adaptive --model a.enc.st --budget 10 --score combined \
    --fraction 0.002 --test-limit 200 $T --out ad.st
check "adaptive wrote the model" test -s ad.st
expect_rc 2 "attack adaptive bad score" -- "$bin" attack adaptive --model a.enc.st --budget 1 --score nope --out ad2.st
expect_rc 0 "attack finetune" -- "$bin" attack finetune --model a.enc.st --fraction 0.005 --epochs 1 \
    --test-limit 200 $T --out ft.st
check "finetune wrote the model" test -s ft.st

finish advparams_cli
