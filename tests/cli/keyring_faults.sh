#!/usr/bin/env bash
# Keyring fault cases (issue 12):
#  1. a read-only keyring can be read: licensee list, verify-key --no-log,
#     keyring check, licensee export work on a chmod'ed copy and on a real
#     read-only mount (tmpfs remounted ro in a private mount namespace);
#     writers get exit 3 and a message naming the file and the reason;
#  2. 20 concurrent `licensee add` with random kill -9s (about 30 kills):
#     afterwards `keyring check --master` passes (PRAGMA integrity_check and
#     every key == the master key's), every add that reported success exists
#     and its exported key decrypts labels encrypted before it existed, every
#     add that was not killed succeeded (no "busy" failures), and no
#     master.key.tmp.* of a dead writer survives the next add.
# $1 = encryip binary, $2 = source dir.  Any failed check exits non-zero.
set -euo pipefail
# shellcheck source=tests/cli/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" keyring_faults "$1"
nlic() { "$bin" licensee list --keyring "$1" --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# q = 211: room for 210 licensees (3 + up to 200 adds below)
expect_rc 0 "keygen" -- "$bin" keygen --classes 10 --licensees 3 --group paper --q 211 --seed 7 --out k
expect_rc 0 "keyring init" -- "$bin" keyring init --from k --out ring.db --master k/master.key
for i in $(seq 0 49); do echo $(( (i * 7) % 10 )); done > labels.txt
expect_rc 0 "encrypt-labels" -- "$bin" encrypt-labels --pk k/public.key --labels labels.txt --out old.ct

# ---- 1a. read-only file and directory (chmod) ------------------------------
mkdir ro
cp ring.db ro/ring.db
chmod 0444 ro/ring.db
chmod 0555 ro
sum="$(md5sum < ro/ring.db)"
expect_rc 0 "list on a chmod 0444 keyring" -- "$bin" licensee list --keyring ro/ring.db
check "lists the 3 licensees" test "$(grep -c '^[0-9]' out.log)" = 3
expect_rc 0 "verify-key --no-log on a chmod 0444 keyring" -- \
    "$bin" verify-key --keyring ro/ring.db --key k/licensee-2.key --no-log
check "identifies licensee 2" grep -q "^licensee 2 " out.log
expect_rc 0 "keyring check --master on a chmod 0444 keyring" -- \
    "$bin" keyring check --keyring ro/ring.db --master k/master.key
if [[ "$(id -u)" != 0 ]]; then
    expect_rc 3 "licensee add on a chmod 0444 keyring" -- \
        "$bin" licensee add --keyring ro/ring.db --master k/master.key --name x
    check "add names the file and says permission denied" grep -q "ro/ring.db.*permission denied" err.log
else
    echo "skip add refusal on the chmod copy: running as root, where chmod does not stop writes" \
         "(the read-only mount below checks it)"
fi
check "read-only copy unchanged" test "$(md5sum < ro/ring.db)" = "$sum"
chmod 0755 ro

# ---- 1b. a real read-only mount ----------------------------------------------
# Run in a private mount namespace (root: unshare -m; otherwise a user
# namespace, unshare -Urm).  Prints ok/FAIL lines; exits 1 on any failure.
# A keyring whose -wal still holds committed changes (a writer killed
# before its checkpoint) is made with python's sqlite3 and os._exit.
cp ring.db walring.db
/usr/bin/python3 - <<'PY'
import os, sqlite3
c = sqlite3.connect("walring.db", isolation_level=None)
c.execute("INSERT INTO verification_log (time, kind, suspect, licensee, matched, total) "
          "VALUES ('2026-01-01T00:00:00Z', 'key', 'from-the-wal', NULL, 0, 1)")
os._exit(0)  # no close: the -wal keeps the change, no checkpoint
PY
check "the -wal holds data" test -s walring.db-wal
cat > ro_mount.sh <<'EOS'
set -u
bin=$1; src=$2; mnt=$3
bad=0
t() { local want=$1 what=$2; shift 2; local rc=0
      "$@" >"$src/ro.out" 2>"$src/ro.err" || rc=$?
      if [[ $rc == "$want" ]]; then echo "ok   ro mount: $what (exit $rc)"
      else echo "FAIL ro mount: $what: exit $rc, want $want"; tail -n 3 "$src/ro.out" "$src/ro.err"; bad=1; fi; }
g() { if grep -q -- "$1" "$2"; then echo "ok   ro mount: $3"; else echo "FAIL ro mount: $3"; cat "$2"; bad=1; fi; }
mount -t tmpfs none "$mnt" || exit 77
cp "$src/ring.db" "$src/walring.db" "$src/walring.db-wal" "$src/k/master.key" "$src/k/licensee-1.key" "$mnt/"
mount -o remount,ro "$mnt" || exit 77
if touch "$mnt/probe" 2>/dev/null; then echo "FAIL ro mount: the mount is writable"; exit 1; fi
t 0 "licensee list" "$bin" licensee list --keyring "$mnt/ring.db"
g "^3 " "$src/ro.out" "lists licensee 3"
t 0 "licensee list --json" "$bin" licensee list --keyring "$mnt/ring.db" --json
t 0 "verify-key --no-log" "$bin" verify-key --keyring "$mnt/ring.db" --key "$mnt/licensee-1.key" --no-log
g "^licensee 1 " "$src/ro.out" "verify-key identifies licensee 1"
t 0 "keyring check --master" "$bin" keyring check --keyring "$mnt/ring.db" --master "$mnt/master.key"
t 0 "licensee log" "$bin" licensee log --keyring "$mnt/ring.db"
rm -f "$src/exp1.key"
t 0 "licensee export to a writable place" "$bin" licensee export --keyring "$mnt/ring.db" --id 1 --out "$src/exp1.key"
t 3 "licensee add refused" "$bin" licensee add --keyring "$mnt/ring.db" --master "$mnt/master.key" --name newbie
g "ring.db.*read-only file system" "$src/ro.err" "add names the file and says read-only file system"
t 3 "licensee revoke refused" "$bin" licensee revoke --keyring "$mnt/ring.db" --id 1
g "read-only file system" "$src/ro.err" "revoke says read-only file system"
t 3 "verify-key with logging: verdict printed, logging refused" \
    "$bin" verify-key --keyring "$mnt/ring.db" --key "$mnt/licensee-1.key"
g "^licensee 1 " "$src/ro.out" "verdict still printed"
g "could not be logged.*read-only file system" "$src/ro.err" "says why it was not logged"
t 3 "a -wal with unread changes on a read-only mount is refused" \
    "$bin" licensee list --keyring "$mnt/walring.db"
g "walring.db-wal" "$src/ro.err" "names the -wal file"
exit $bad
EOS
mkdir mnt
ro_rc=0
if [[ "$(id -u)" == 0 ]]; then
    unshare -m bash ro_mount.sh "$bin" "$tmp" "$tmp/mnt" || ro_rc=$?
else
    unshare -Urm bash ro_mount.sh "$bin" "$tmp" "$tmp/mnt" || ro_rc=$?
fi
if [[ $ro_rc == 77 ]] || { [[ $ro_rc != 0 ]] && ! unshare -Urm true 2>/dev/null && ! unshare -m true 2>/dev/null; }; then
    echo "skip read-only mount cases: neither 'unshare -m' nor 'unshare -Urm' can mount a tmpfs here"
else
    check "read-only mount cases" test "$ro_rc" = 0
    check "exported key from the read-only keyring is licensee 1's" cmp -s exp1.key k/licensee-1.key
fi
# The same -wal keyring on a writable disk: read normally, change visible.
expect_rc 0 "keyring with a leftover -wal on a writable disk" -- "$bin" licensee log --keyring walring.db
check "the -wal's change is read" grep -q "from-the-wal" out.log

# ---- 2. kill -9 during 20 concurrent licensee adds ------------------------
# A stale temporary of a dead writer (the pid of a finished `true`) and one
# of a live process (this shell): the next add must remove the first only.
true & deadpid=$!
wait "$deadpid"
printf 'stale' > "k/master.key.tmp.$deadpid.AbC123"
printf 'live' > "k/master.key.tmp.$$.XyZ789"
kills=0 round=0 attempts=0
start=$SECONDS
while ((kills < 30 && round < 6 && SECONDS - start < 60)); do
    round=$((round + 1))
    pids=() names=()
    for i in $(seq 1 20); do
        n="r$round-$i"
        "$bin" licensee add --keyring ring.db --master k/master.key --name "$n" >"add.$n.out" 2>"add.$n.err" &
        pids+=("$!") names+=("$n")
    done
    attempts=$((attempts + 20))
    # kill -9 up to ten random writers that are still running (queued or
    # inside their transaction) at random moments
    # (kill -0 also succeeds on a killed, not yet reaped zombie: skip those)
    shot=" "
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sleep "0.0$((RANDOM % 2))"
        alive=()
        for p in "${pids[@]}"; do
            [[ $shot == *" $p "* ]] || ! kill -0 "$p" 2>/dev/null || alive+=("$p")
        done
        ((${#alive[@]})) || break
        p="${alive[$((RANDOM % ${#alive[@]}))]}"
        kill -9 "$p" 2>/dev/null || true
        shot+="$p "
    done
    echo "round $round: shot at $(wc -w <<<"$shot") writers"
    for v in $(seq 0 19); do
        rc=0
        wait "${pids[$v]}" 2>/dev/null || rc=$?
        echo "$rc" > "add.${names[$v]}.rc"
        if [[ $rc == 137 ]]; then kills=$((kills + 1)); fi
    done
done
echo "kill -9 loop: $round rounds, $attempts adds, $kills killed, $((SECONDS - start)) s"
check "about 30 writers were killed" test "$kills" -ge 25
ok=0 lost=0
for f in add.*.rc; do
    n="${f#add.}"; n="${n%.rc}"
    rc="$(cat "$f")"
    if [[ $rc == 0 ]]; then
        ok=$((ok + 1))
    elif [[ $rc != 137 ]]; then
        lost=$((lost + 1)); fail "add $n was not killed but failed (exit $rc): $(cat "add.$n.err")"
    fi
done
check "some adds succeeded" test "$ok" -gt 0
check "every add that was not killed succeeded (no busy failures)" test "$lost" = 0
expect_rc 0 "keyring check --master after the kills" -- "$bin" keyring check --keyring ring.db --master k/master.key
check "integrity ok" grep -q "ok:" out.log
"$bin" licensee list --keyring ring.db --json |
    /usr/bin/python3 -c 'import json,sys; [print(l["id"], l["name"]) for l in json.load(sys.stdin)]' > ids.txt
verified=0
for f in add.*.rc; do
    n="${f#add.}"; n="${n%.rc}"
    [[ "$(cat "$f")" == 0 ]] || continue
    id="$(sed -n "s/^licensee add: licensee \([0-9]*\) ($n) added.*/\1/p" "add.$n.out")"
    if [[ -z $id ]]; then fail "add $n: exit 0 without a licensee id"; continue; fi
    got="$(awk -v id="$id" '$1 == id { print $2 }' ids.txt)"
    [[ $got == "$n" ]] || { fail "licensee $id reported as $n is '$got' in the keyring"; continue; }
    rm -f "x.key" "x.txt"
    if "$bin" licensee export --keyring ring.db --id "$id" --out x.key >/dev/null 2>x.err &&
       "$bin" decrypt --key x.key --in old.ct --out x.txt --expect labels.txt >/dev/null 2>>x.err &&
       cmp -s x.txt labels.txt; then
        verified=$((verified + 1))
    else
        fail "licensee $id ($n): exported key does not decrypt: $(cat x.err)"
    fi
done
check "every reported licensee ($ok) exists and decrypts" test "$verified" = "$ok"
left="$(find k -name 'master.key.tmp.*' ! -name "*.$$.*" ! -name "*.$deadpid.*" | wc -l)"
echo "master.key.tmp.* left by killed writers: $left"
expect_rc 0 "the next licensee add" -- "$bin" licensee add --keyring ring.db --master k/master.key --name after
check "the dead writer's master.key.tmp.* is removed by the next add" test ! -e "k/master.key.tmp.$deadpid.AbC123"
check "a live writer's temporary is left alone" test -e "k/master.key.tmp.$$.XyZ789"
rm -f "k/master.key.tmp.$$.XyZ789"
check "no master.key.tmp.* left after the next add" test "$(find k -name 'master.key.tmp.*' | wc -l)" = 0
expect_rc 0 "keyring check --master at the end" -- "$bin" keyring check --keyring ring.db --master k/master.key

finish keyring_faults
