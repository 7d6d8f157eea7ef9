#!/bin/bash
# Attacks on EncryIP (issue 17 items 3, 4): protected smallcnn (width 0.5,
# 6000 Fashion-MNIST images, 3 epochs, P = 3) in both groups, then
#   relabel: k = 10, 30, 100, 1000 labelled training images (seeds 1-3), no key,
#            accuracy on 2000 test images vs licensee 1's; trace of relabelled deployments;
#   collude: licensees 1+2 -> forged key (seeds 1-10): accuracy, verify-key, trace.
# Usage: bash docs/results/attack-relabel/run.sh BUILD_DIR WORK_DIR
set -u
B=${1:-build}/encryip
W=${2:-/tmp/eip-attacks}
R=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$W"
REL=$R/attack-relabel/relabel.csv
COL=$R/attack-collude/collude.csv
echo "group,k,seed,vote,head,licensee,chance,slots_reached,slots" > "$REL"
echo "group,seed,colluders,gcd,t_candidates_from_keys,forged_acc,licensee_acc,verify_key_exit,verify_key_says,trace_exit,trace_says" > "$COL"
TR=$R/attack-relabel/trace.csv
echo "group,method,k,trace_exit,trace_says" > "$TR"
for g in paper ristretto255; do
  M=$W/$g
  if [ ! -f "$M/manifest.json" ]; then
    nice -n 5 "$B" protect --dataset fashion-mnist --model smallcnn --width 0.5 --limit 6000 \
      --epochs 3 --licensees 3 --group $g --threads 2 --eval-limit 500 --out "$M" --force \
      > "$W/protect-$g.log" 2>&1 || { echo "protect $g failed"; exit 1; }
  fi
  tail -3 "$W/protect-$g.log"
  for k in 10 30 100 1000; do
    for s in 1 2 3; do
      out=$(nice -n 5 "$B" attack relabel --model "$M/deploy" --dataset fashion-mnist --k $k --seed $s \
            --test-limit 2000 --key "$M/keys/licensee-1.key" --threads 2 2>/dev/null)
      v=$(echo "$out" | awk '/^vote/{print $3}'); h=$(echo "$out" | awk '/^head/{print $3}')
      l=$(echo "$out" | awk '/^licensee/{print $3}'); c=$(echo "$out" | awk '/^chance/{print $2}')
      sr=$(echo "$out" | sed -n 's/.*slots (\([0-9]*\) reached.*/\1/p'); sl=$(echo "$out" | sed -n 's/.* group, \([0-9]*\) slots.*/\1/p')
      echo "$g,$k,$s,$v,$h,$l,$c,$sr,$sl" | tee -a "$REL"
    done
  done
  for meth in vote head; do
    for k in 100 1000; do
      msg=$(nice -n 5 "$B" trace --bundle "$M" --no-log --suspect "$B attack relabel --model $M/deploy --dataset fashion-mnist --k $k --seed 1 --method $meth --threads 2 --input" 2>&1 | tail -1)
      rc=${PIPESTATUS[0]}
      nice -n 5 "$B" trace --bundle "$M" --no-log --suspect "$B attack relabel --model $M/deploy --dataset fashion-mnist --k $k --seed 1 --method $meth --threads 2 --input" > /dev/null 2>&1; rc=$?
      echo "$g,$meth,$k,$rc,\"$msg\"" | tee -a "$TR"
    done
  done
  for s in 1 2 3 4 5 6 7 8 9 10; do
    F=$W/forged-$g-$s.key
    co=$("$B" attack collude --pk "$M/deploy/public.key" --keys "$M/keys/licensee-1.key,$M/keys/licensee-2.key" \
         --out "$F" --seed $s --force 2>&1)
    gcd=$(echo "$co" | sed -n 's/.*group order) = \([0-9]*\).*/\1/p')
    cand=$(echo "$co" | sed -n 's/.*keys alone: \([0-9]*\).*/\1/p')
    fa=$(nice -n 5 "$B" classify --model "$M/deploy" --key "$F" --dataset fashion-mnist --limit 2000 --threads 2 2>&1 >/dev/null | sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
    la=$(nice -n 5 "$B" classify --model "$M/deploy" --key "$M/keys/licensee-1.key" --dataset fashion-mnist --limit 2000 --threads 2 2>&1 >/dev/null | sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
    vk=$("$B" verify-key --keyring "$M/owner/keyring.sqlite" --key "$F" --no-log 2>&1 | tail -1); vrc=$?
    "$B" verify-key --keyring "$M/owner/keyring.sqlite" --key "$F" --no-log > /dev/null 2>&1; vrc=$?
    tmsg=$(nice -n 5 "$B" trace --bundle "$M" --no-log --suspect "$B classify --model $M/deploy --key $F --threads 2 --input" 2>&1 | tail -1)
    nice -n 5 "$B" trace --bundle "$M" --no-log --suspect "$B classify --model $M/deploy --key $F --threads 2 --input" > /dev/null 2>&1; trc=$?
    echo "$g,$s,\"1,2\",$gcd,$cand,$fa,$la,$vrc,\"$vk\",$trc,\"$tmsg\"" | tee -a "$COL"
  done
done
