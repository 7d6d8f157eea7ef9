#!/usr/bin/env bash
# End-to-end CLI test of the crypto commands: keygen -> encrypt-labels ->
# decrypt with every key; a key of another keyring is refused; attack dlog
# breaks the paper group and is refused for ristretto255; corrupted key files
# exit 4 naming the file; outputs are never overwritten on failure; issue.
# $1 = encryip binary, $2 = source dir.  Any failed check exits non-zero.
set -euo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" crypto_cli "$1"

# --help everywhere
for c in keygen issue encrypt-labels decrypt "attack dlog"; do
    # shellcheck disable=SC2086
    expect_rc 0 "$c --help" -- "$bin" $c --help
    grep -q "usage: encryip $c" out.log || fail "$c --help prints usage"
done
expect_rc 2 "unknown flag" -- "$bin" keygen --classes 10 --licensees 2 --out k --bogus
expect_rc 2 "missing required flag" -- "$bin" keygen --classes 10 --out k

# labels: 300 rows, text, values 0..9
for i in $(seq 0 299); do echo $(( (i * 7) % 10 )); done > labels.txt

# keygen: paper group (warning) and ristretto255 (no warning)
expect_rc 0 "keygen paper" -- "$bin" keygen --classes 10 --licensees 3 --group paper --seed 1 --out kp
check "paper warning on stderr" grep -q "trivially breakable" err.log
expect_rc 0 "keygen ristretto255" -- "$bin" keygen --classes 10 --licensees 3 --group ristretto255 --out kr
check "no warning for ristretto255" bash -c '! grep -q "breakable" err.log'
for f in kp/master.key kp/licensee-1.key kr/master.key kr/licensee-3.key; do
    check "$f is 0600" test "$(mode $f)" = 600
done
check "public key is 0644" test "$(mode kp/public.key)" = 644
# seeded: the toy group (q = 11) has ~1100 public keys, so two random keyrings
# collide about once in a thousand runs and the "other keyring" checks would flake
expect_rc 0 "keygen other keyring" -- "$bin" keygen --classes 10 --licensees 2 --group paper --seed 2 --out kother
expect_rc 0 "keygen other ristretto keyring" -- "$bin" keygen --classes 10 --licensees 2 --out kother_r

# refuse to overwrite keys
sum_before="$(cat kp/*.key | md5sum)"
expect_rc 1 "keygen refuses to overwrite" -- "$bin" keygen --classes 10 --licensees 3 --group paper --out kp
check "message says --force" grep -q -- "--force" err.log
check "keys unchanged" test "$(cat kp/*.key | md5sum)" = "$sum_before"
# P > q-1 refused with the --q hint; any prime q works
expect_rc 2 "P=11 > q-1 refused" -- "$bin" keygen --classes 10 --licensees 11 --group paper --out kbig
check "hint names --q 13" grep -q -- "--q 13" err.log
expect_rc 0 "--q 13 allows 12 licensees" -- "$bin" keygen --classes 10 --licensees 12 --group paper --q 13 --out kbig
expect_rc 2 "--q 15 not prime" -- "$bin" keygen --classes 10 --licensees 2 --group paper --q 15 --out kq15
check "says not prime" grep -q "not prime" err.log
expect_rc 2 "--q with ristretto255" -- "$bin" keygen --classes 10 --licensees 2 --q 13 --out kq

for g in p r; do
    expect_rc 0 "encrypt-labels ($g)" -- "$bin" encrypt-labels --pk k$g/public.key --labels labels.txt --out $g.ct
    for j in 1 2 3; do
        expect_rc 0 "decrypt ($g) licensee $j" -- "$bin" decrypt --key k$g/licensee-$j.key --in $g.ct --out dec-$g-$j.txt --expect labels.txt
        check "licensee $j ($g): all labels right" cmp -s dec-$g-$j.txt labels.txt
        check "summary: 300/300" grep -q "correct: 300/300" err.log
    done
done
expect_rc 5 "wrong key (another paper keyring) refused" -- "$bin" decrypt --key kother/licensee-1.key --in p.ct --out wrong.txt
check "message: another public key" grep -q "another public key" err.log
check "message names the key file" grep -q "kother/licensee-1.key" err.log
check "no output written" test ! -e wrong.txt
expect_rc 5 "wrong key (another ristretto keyring) refused" -- "$bin" decrypt --key kother_r/licensee-1.key --in r.ct
expect_rc 5 "key of the other group refused" -- "$bin" decrypt --key kp/licensee-1.key --in r.ct

# attack dlog
expect_rc 0 "attack dlog (paper)" -- "$bin" attack dlog --pk kp/public.key --in p.ct --out attack.txt --expect labels.txt
check "attack recovers every label" cmp -s attack.txt labels.txt
check "attack summary" grep -q "correct: 300/300" err.log
expect_rc 5 "attack dlog refused for ristretto255" -- "$bin" attack dlog --pk kr/public.key --in r.ct --out attack-r.txt
check "says infeasible, 2^126" grep -q "infeasible.*2^126" err.log
check "no attack output" test ! -e attack-r.txt
expect_rc 5 "attack with a foreign pk refused" -- "$bin" attack dlog --pk kother/public.key --in p.ct

# corrupted / truncated key files: exit 4, message names the file, old output kept
echo KEEP > keep.txt
cp kp/licensee-2.key bad.key
printf '\xff' | dd of=bad.key bs=1 seek=40 conv=notrunc 2>/dev/null
expect_rc 4 "corrupted key" -- "$bin" decrypt --key bad.key --in p.ct --out keep.txt
check "names the file" grep -q "bad.key" err.log
check "says checksum" grep -q "checksum" err.log
check "output not overwritten" test "$(cat keep.txt)" = KEEP
head -c 30 kp/licensee-2.key > short.key
expect_rc 4 "truncated key" -- "$bin" decrypt --key short.key --in p.ct --out keep.txt
check "says truncated" grep -q "truncated" err.log
expect_rc 4 "public key given as secret key" -- "$bin" decrypt --key kp/public.key --in p.ct --out keep.txt
check "says which kind" grep -q "public key file" err.log
head -c 100 p.ct > short.ct
expect_rc 4 "truncated ciphertext file" -- "$bin" decrypt --key kp/licensee-1.key --in short.ct --out keep.txt
check "output still not overwritten" test "$(cat keep.txt)" = KEEP
cp p.ct keep.ct
echo 10 > badlabels.txt
expect_rc 4 "label out of range" -- "$bin" encrypt-labels --pk kp/public.key --labels badlabels.txt --out keep.ct
check "names file:line" grep -q "badlabels.txt:1" err.log
check "ciphertext file not overwritten" cmp -s keep.ct p.ct
expect_rc 3 "missing key file" -- "$bin" decrypt --key nonexistent.key --in p.ct
check "names missing file" grep -q "nonexistent.key" err.log

# soft labels and codebook
expect_rc 0 "paper soft labels" -- "$bin" encrypt-labels --pk kp/public.key --labels labels.txt --out s.ct --soft s.soft
check "soft file size 48 + 300*33*4 + 16" test "$(stat -c %s s.soft)" = $((48 + 300 * 33 * 4 + 16))
expect_rc 2 "ristretto soft labels need --fixed" -- "$bin" encrypt-labels --pk kr/public.key --labels labels.txt --out rs.ct --soft rs.soft
expect_rc 0 "ristretto --fixed soft + codebook" -- "$bin" encrypt-labels --pk kr/public.key --labels labels.txt --out rs.ct --soft rs.soft --fixed --codebook rs.cb
check "ristretto soft: 300 x 10" test "$(stat -c %s rs.soft)" = $((48 + 300 * 10 * 4 + 16))
expect_rc 0 "decrypt fixed ciphertexts" -- "$bin" decrypt --key kr/licensee-1.key --in rs.ct --out rs.txt
check "fixed ciphertexts decrypt right" cmp -s rs.txt labels.txt
# --fixed shuffles the slots as protect does: the one-hot's hot position is not the label
hot_is_label=$(od -A n -v -t f4 -j 48 -N 12000 -w40 rs.soft | awk '{b=1; for (i=2;i<=NF;i++) if ($i>$b) b=i; print b-1}' | paste -d' ' - labels.txt | awk '$1==$2' | wc -l)
check "ristretto --fixed soft labels are not the plain labels ($hot_is_label of 300 equal)" test "$hot_is_label" -lt 300

# idx1 .gz labels via the data module
python3 - <<'PY'
import gzip, struct
labels = [(i * 3) % 10 for i in range(50)]
with gzip.open("lab-idx1-ubyte.gz", "wb") as f:
    f.write(struct.pack(">II", 0x801, len(labels)) + bytes(labels))
open("lab.txt", "w").write("".join(f"{l}\n" for l in labels))
PY
expect_rc 0 "encrypt idx1.gz labels" -- "$bin" encrypt-labels --pk kp/public.key --labels lab-idx1-ubyte.gz --out idx.ct
expect_rc 0 "decrypt idx ciphertexts" -- "$bin" decrypt --key kp/licensee-3.key --in idx.ct --out idx.txt --expect lab-idx1-ubyte.gz
check "idx labels right" cmp -s idx.txt lab.txt

# issue: new licensee reads old ciphertexts, master updated, no overwrite
expect_rc 0 "issue (paper)" -- "$bin" issue --master kp/master.key --pk kp/public.key --out kp/licensee-4.key
check "new key 0600" test "$(mode kp/licensee-4.key)" = 600
check "master still 0600" test "$(mode kp/master.key)" = 600
expect_rc 0 "new licensee decrypts old ciphertexts" -- "$bin" decrypt --key kp/licensee-4.key --in p.ct --out dec4.txt
check "new licensee: all right" cmp -s dec4.txt labels.txt
check "reports licensee 4" grep -q "licensee 4" err.log
expect_rc 1 "issue refuses to overwrite" -- "$bin" issue --master kp/master.key --pk kp/public.key --out kp/licensee-4.key
expect_rc 5 "issue with another keyring's pk refused" -- "$bin" issue --master kp/master.key --pk kother/public.key --out x.key
expect_rc 0 "issue (ristretto255)" -- "$bin" issue --master kr/master.key --pk kr/public.key --out kr/licensee-4.key
expect_rc 0 "ristretto new licensee decrypts" -- "$bin" decrypt --key kr/licensee-4.key --in r.ct --out dec-r4.txt
check "ristretto new licensee: all right" cmp -s dec-r4.txt labels.txt
# the paper group with q = 11 holds at most 10 licensees
for j in 5 6 7 8 9 10; do "$bin" issue --master kp/master.key --pk kp/public.key --out kp/licensee-$j.key >/dev/null; done
expect_rc 2 "11th licensee refused (q-1 = 10)" -- "$bin" issue --master kp/master.key --pk kp/public.key --out kp/licensee-11.key
check "says q-1" grep -q "q-1" err.log

finish crypto_cli
