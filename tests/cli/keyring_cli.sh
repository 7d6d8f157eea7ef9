#!/usr/bin/env bash
# End-to-end CLI test of the licensee keyring: keygen -> keyring init (both
# forms) -> licensee add (no retraining: the new licensee decrypts labels
# encrypted before it existed) -> list/revoke/export/log -> verify-key for
# every key and for a key of another keygen; refused inputs exit with the
# documented codes naming the file; concurrent adds and SIGKILLed adds leave
# the keyring consistent (keyring check --master).
# $1 = encryip binary, $2 = source dir.  Any failed check exits non-zero.
set -euo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" keyring_cli "$1"
nlic() { "$bin" licensee list --keyring "$1" --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

for c in "keyring init" "keyring check" "licensee add" "licensee list" "licensee revoke" \
         "licensee export" "licensee log" verify-key; do
    # shellcheck disable=SC2086
    expect_rc 0 "$c --help" -- "$bin" $c --help
    grep -q "usage: encryip $c" out.log || fail "$c --help prints usage"
done
expect_rc 2 "licensee list without --keyring" -- "$bin" licensee list
expect_rc 2 "licensee add unknown flag" -- "$bin" licensee add --keyring r --master m --name n --bogus

# keys: paper group with q = 101 (room for 100 licensees) and another keygen
expect_rc 0 "keygen" -- "$bin" keygen --classes 10 --licensees 3 --group paper --q 101 --seed 5 --out k
expect_rc 0 "keygen other" -- "$bin" keygen --classes 10 --licensees 2 --group paper --q 101 --seed 6 --out other

# keyring init, both forms
expect_rc 0 "keyring init --from" -- "$bin" keyring init --from k --out ring.db --master k/master.key
check "keyring is 0600" test "$(mode ring.db)" = 600
check "3 licensees" test "$(nlic ring.db)" = 3
expect_rc 0 "keyring init --pk --keys glob --names" -- \
    "$bin" keyring init --pk k/public.key --keys k/licensee-*.key --names ann,ben,cat --out ring2.db
expect_rc 0 "list ring2" -- "$bin" licensee list --keyring ring2.db
check "names from --names" grep -q "ben" out.log
expect_rc 2 "--names count mismatch" -- "$bin" keyring init --from k --names a,b --out ring3.db
check "no keyring left behind" test ! -e ring3.db
sum="$(md5sum < ring.db)"
expect_rc 1 "init over an existing keyring" -- "$bin" keyring init --from k --out ring.db
check "says exists" grep -q "ring.db exists" err.log
check "keyring untouched" test "$(md5sum < ring.db)" = "$sum"
expect_rc 5 "init with a key of another keygen" -- "$bin" keyring init --pk k/public.key --keys other/licensee-1.key --out ring4.db
check "names the key file" grep -q "other/licensee-1.key" err.log
check "no keyring left behind (2)" test ! -e ring4.db

# labels encrypted BEFORE the new licensee exists
for i in $(seq 0 99); do echo $(( (i * 3) % 10 )); done > labels.txt
expect_rc 0 "encrypt-labels" -- "$bin" encrypt-labels --pk k/public.key --labels labels.txt --out old.ct

# licensee add: no retraining, the new key decrypts old ciphertexts
expect_rc 0 "licensee add alice" -- "$bin" licensee add --keyring ring.db --master k/master.key --name alice --out alice.key
check "alice is licensee 4" grep -q "licensee 4 (alice)" out.log
check "alice.key is 0600" test "$(mode alice.key)" = 600
check "master key still 0600" test "$(mode k/master.key)" = 600
expect_rc 0 "alice decrypts old ciphertexts" -- "$bin" decrypt --key alice.key --in old.ct --out alice.txt --expect labels.txt
check "alice's labels are right" cmp -s alice.txt labels.txt
expect_rc 0 "licensee add bob (no --out)" -- "$bin" licensee add --keyring ring.db --master k/master.key --name bob
check "hint to export" grep -q "licensee export" out.log
msum="$(md5sum < k/master.key)"
expect_rc 2 "duplicate name refused" -- "$bin" licensee add --keyring ring.db --master k/master.key --name alice --out dup.key
check "says the name is taken" grep -q "'alice' is taken" err.log
check "names the keyring" grep -q "ring.db" err.log
check "master key unchanged" test "$(md5sum < k/master.key)" = "$msum"
check "no key written" test ! -e dup.key
check "still 5 licensees" test "$(nlic ring.db)" = 5
expect_rc 1 "existing --out refused" -- "$bin" licensee add --keyring ring.db --master k/master.key --name carol --out alice.key
expect_rc 5 "master of another keygen refused" -- "$bin" licensee add --keyring ring.db --master other/master.key --name carol
check "still 5 licensees (2)" test "$(nlic ring.db)" = 5

# export
expect_rc 0 "export bob" -- "$bin" licensee export --keyring ring.db --name bob --out bob.key
check "bob.key is 0600" test "$(mode bob.key)" = 600
expect_rc 0 "bob decrypts old ciphertexts" -- "$bin" decrypt --key bob.key --in old.ct --expect labels.txt
expect_rc 1 "export refuses to overwrite" -- "$bin" licensee export --keyring ring.db --id 5 --out bob.key
expect_rc 2 "export unknown id" -- "$bin" licensee export --keyring ring.db --id 77 --out x.key

# revoke
expect_rc 0 "revoke alice by name" -- "$bin" licensee revoke --keyring ring.db --name alice
expect_rc 0 "revoke 2 by id" -- "$bin" licensee revoke --keyring ring.db --id 2
expect_rc 1 "revoke twice" -- "$bin" licensee revoke --keyring ring.db --id 4
check "says already revoked" grep -q "already revoked" err.log
expect_rc 2 "revoke unknown" -- "$bin" licensee revoke --keyring ring.db --name nobody
expect_rc 2 "revoke needs exactly one of --id/--name" -- "$bin" licensee revoke --keyring ring.db --id 1 --name bob
expect_rc 0 "list --json" -- "$bin" licensee list --keyring ring.db --json
check "json: 2 revoked, 3 not" /usr/bin/python3 -c '
import json; v = json.load(open("out.log"))
r = sorted(x["id"] for x in v if x["revoked"]); n = [x for x in v if x["revoked"] is None]
assert r == [2, 4] and len(n) == 3, (r, n)
assert [x["name"] for x in v] == ["licensee-1", "licensee-2", "licensee-3", "alice", "bob"], v'

# verify-key: every key, revoked ones reported, another keygen's key, a bad file
for j in 1 2 3; do
    expect_rc 0 "verify-key licensee $j" -- "$bin" verify-key --keyring ring.db --key k/licensee-$j.key
    check "names licensee $j" grep -q "^licensee $j (licensee-$j)" out.log
done
expect_rc 0 "verify-key alice" -- "$bin" verify-key --keyring ring.db --key alice.key
check "alice, revoked" grep -q "^licensee 4 (alice) revoked at" out.log
expect_rc 0 "verify-key bob" -- "$bin" verify-key --keyring ring.db --key bob.key
check "bob" grep -q "^licensee 5 (bob)$" out.log
expect_rc 6 "verify-key: key of another keygen" -- "$bin" verify-key --keyring ring.db --key other/licensee-1.key
check "no licensee" grep -q "^no licensee" out.log
check "another public key" grep -q "another public key" out.log
head -c 40 alice.key > short.key
expect_rc 4 "verify-key: truncated key file" -- "$bin" verify-key --keyring ring.db --key short.key
check "names the key file" grep -q "short.key" err.log
expect_rc 0 "log" -- "$bin" licensee log --keyring ring.db --json
check "log: 6 verdicts, 1 without licensee" /usr/bin/python3 -c '
import json; v = json.load(open("out.log"))
assert len(v) == 6 and sum(x["licensee"] is None for x in v) == 1, v
assert all(x["kind"] == "key" for x in v), v'
expect_rc 0 "keyring check --master" -- "$bin" keyring check --keyring ring.db --master k/master.key
check "check reports counts" grep -q "5 licensees (2 revoked)" out.log
expect_rc 5 "check with another keygen's master" -- "$bin" keyring check --keyring ring.db --master other/master.key

# malformed keyrings
seq 1 1000 > text.db
expect_rc 4 "text file as keyring" -- "$bin" licensee list --keyring text.db
check "names file + not SQLite" grep -q "text.db.*not an SQLite database" err.log
/usr/bin/python3 -c 'import sqlite3; c = sqlite3.connect("foreign.db"); c.execute("create table t(x)"); c.commit()'
expect_rc 4 "foreign SQLite database" -- "$bin" licensee list --keyring foreign.db
check "not an encryip keyring" grep -q "foreign.db.*not an encryip keyring" err.log
cp ring2.db v9.db
/usr/bin/python3 -c 'import sqlite3; c = sqlite3.connect("v9.db"); c.execute("pragma user_version=9"); c.commit()'
expect_rc 4 "unknown schema version" -- "$bin" licensee list --keyring v9.db
check "says version 9" grep -q "v9.db.*schema version 9" err.log
expect_rc 3 "missing keyring" -- "$bin" licensee list --keyring nope.db
check "names the missing file" grep -q "nope.db" err.log

# concurrent adds from two shells (10 each) into ring2.db
add_many() { for i in $(seq 1 10); do "$bin" licensee add --keyring ring2.db --master k/master.key --name "$1-$i" >/dev/null || echo "add $1-$i failed" >> conc.err; done; }
add_many p & pa=$!
add_many q & pb=$!
wait $pa $pb
check "concurrent adds all succeeded" test ! -e conc.err
check "23 licensees after 2x10 concurrent adds" test "$(nlic ring2.db)" = 23
expect_rc 0 "check after concurrent adds" -- "$bin" keyring check --keyring ring2.db --master k/master.key

# SIGKILLed adds: the keyring and the master key stay consistent
for t in 1 2 3 4 5 6; do
    "$bin" licensee add --keyring ring2.db --master k/master.key --name "kill-$t" >/dev/null 2>&1 & pk=$!
    sleep "0.00$((RANDOM % 10))"
    kill -9 $pk 2>/dev/null || true
    wait $pk 2>/dev/null || true
    expect_rc 0 "check after kill $t" -- "$bin" keyring check --keyring ring2.db --master k/master.key
done
expect_rc 0 "add after the kills" -- "$bin" licensee add --keyring ring2.db --master k/master.key --name after-kills --out after.key
expect_rc 0 "the new key verifies" -- "$bin" verify-key --keyring ring2.db --key after.key
check "keyring files stay 0600" test "$(mode ring2.db)" = 600
if [[ -e ring2.db-wal ]]; then check "-wal is 0600" test "$(mode ring2.db-wal)" = 600; fi

# issue next to a keyring: refused, nothing changed; licensee add is the way
expect_rc 0 "keygen solo" -- "$bin" keygen --classes 10 --licensees 2 --group paper --q 101 --seed 8 --out solo
expect_rc 0 "issue without a keyring nearby" -- "$bin" issue --master solo/master.key --pk solo/public.key --out solo-3.key --seed 1
expect_rc 0 "keyring init in solo/" -- "$bin" keyring init --from solo --out solo/ring.db
msum="$(md5sum < solo/master.key)"
expect_rc 1 "issue next to a keyring is refused" -- "$bin" issue --master solo/master.key --pk solo/public.key --out solo-4.key
check "names the keyring and licensee add" grep -q "solo/ring.db.*licensee add" err.log
check "master key untouched" test "$(md5sum < solo/master.key)" = "$msum"
check "no key written" test ! -e solo-4.key

# collusion: licensees 1 and 2 mint a key that decrypts and that verify-key attributes to nobody
expect_rc 0 "attack collude" -- "$bin" attack collude --pk k/public.key --keys k/licensee-1.key,k/licensee-2.key --out forged.key --seed 3
check "self-check: 10/10 labels" grep -q "decrypts 10/10" out.log
check "forged key is 0600" test "$(mode forged.key)" = 600
# q = 101 leaves 100 possible keys: the minted key's b is drawn from the 98 the
# colluders do not hold, so a licensee added at random (alice, bob) holds that
# very key with probability 1/98 each.  The attribution is checked against a
# keyring of the seeded keygen's three keys only, where it cannot collide.
expect_rc 0 "keyring of the seeded keys" -- "$bin" keyring init --from k --out ring-seeded.db
expect_rc 6 "verify-key: no licensee holds the forged key" -- "$bin" verify-key --keyring ring-seeded.db --key forged.key --no-log
check "says no licensee's key" grep -q "no licensee" out.log err.log
printf '%s\n' 0 1 2 3 4 5 6 7 8 9 3 1 4 > coll-labels.txt
expect_rc 0 "encrypt for the forged key" -- "$bin" encrypt-labels --pk k/public.key --labels coll-labels.txt --out coll.ct
expect_rc 0 "forged key decrypts" -- "$bin" decrypt --key forged.key --in coll.ct --expect coll-labels.txt
check "all 13 right" grep -q "correct: 13/13" err.log
expect_rc 1 "collude refuses to overwrite" -- "$bin" attack collude --pk k/public.key --keys k/licensee-1.key,k/licensee-2.key --out forged.key
expect_rc 2 "collude needs two licensees" -- "$bin" attack collude --pk k/public.key --keys k/licensee-1.key,k/licensee-1.key --out forged2.key
expect_rc 5 "collude refuses a key of another keygen" -- "$bin" attack collude --pk k/public.key --keys k/licensee-1.key,other/licensee-1.key --out forged3.key

finish keyring_cli
