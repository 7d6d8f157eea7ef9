#!/bin/bash
# Collusion on keys alone (no model): N keygens per group (P = 3, z = 10),
# licensees 1 and 2 collude; per keygen: gcd of the solved pair, t candidates
# the keys alone leave, forged key's self-check, and what verify-key says.
# Usage: bash docs/results/attack-collude/keys.sh BUILD_DIR N > keys.csv
set -u
B=${1:-build}/encryip
N=${2:-200}
T=$(mktemp -d)
echo "group,q,seed,gcd,t_candidates_from_keys,selfcheck,verify_key_exit,verify_key_names"
for g in paper ristretto255; do
  for s in $(seq 1 "$N"); do
    d=$T/$g-$s
    "$B" keygen --classes 10 --licensees 3 --group $g --seed $s --out "$d" >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }
    "$B" keyring init --from "$d" --out "$d.ring" >/dev/null 2>&1 || { echo "keyring failed"; exit 1; }
    co=$("$B" attack collude --pk "$d/public.key" --keys "$d/licensee-1.key,$d/licensee-2.key" --out "$d.forged" --seed $((s + 1000000)) 2>&1)
    gcd=$(echo "$co" | sed -n 's/.*group order) = \([0-9]*\).*/\1/p')
    cand=$(echo "$co" | sed -n 's/.*keys alone: \([0-9]*\).*/\1/p')
    sc=$(echo "$co" | sed -n 's/.*decrypts \([0-9]*\/[0-9]*\) fresh.*/\1/p')
    vk=$("$B" verify-key --keyring "$d.ring" --key "$d.forged" --no-log 2>/dev/null); vrc=$?
    who=$(echo "$vk" | sed -n 's/^licensee \([0-9]*\).*/\1/p')
    q=$([ $g = paper ] && echo 11 || echo 0)
    echo "$g,$q,$s,$gcd,$cand,$sc,$vrc,${who:-none}"
  done
done
rm -rf "$T"
