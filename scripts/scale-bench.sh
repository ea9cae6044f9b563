#!/usr/bin/env bash
# scale-bench.sh [NODES...]: the scale figures of README's Performance
# section, measured against the simulated lab in a separate process:
#   - agent CPU over 30 s with a session open on every device and nothing
#     to do (as % of one core), and its resident memory;
#   - one static-route intent to every leaf, submitted and applied (warm),
#     wall time and time per device.
# Defaults to 100 and 1000 devices. Everything listens on 127.0.0.1 and is
# stopped on exit. Requests carry the admin token the agent creates in its
# data directory. Needs curl, bc and python3.
set -euo pipefail

NODES=("$@")
[ $# -eq 0 ] && NODES=(100 1000)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/netagent-scale.XXXXXX)
BIN=$WORK/netagent
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
(cd "$ROOT" && go build -o "$BIN" ./cmd/netagent)
TCK=$(getconf CLK_TCK)

cpu() { # PID SECONDS -> % of one core
  local a b; a=$(awk '{print $14+$15}' "/proc/$1/stat"); sleep "$2"; b=$(awk '{print $14+$15}' "/proc/$1/stat")
  echo "scale=2; ($b-$a)*100/$TCK/$2" | bc
}
rss() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status"; }
plan_all() { # ADDR: a dry run per role opens a session on every device
  for r in leaf spine super-spine; do
    curl -sf -o /dev/null -X POST "$1/v1/intents:plan" -H "$AUTH" -H 'Content-Type: application/json' \
      -d '{"kind":"static-route","targets":{"selector":{"role":"'"$r"'"}},"spec":{"prefix":"198.51.100.0/24","next_hops":[{"next_hop":"192.0.2.1"}]}}'
  done
}
apply() { # ADDR ID HOP -> seconds until applied
  local t0 t1 st
  t0=$(date +%s.%N)
  curl -sf -o /dev/null -X POST "$1/v1/intents" -H "$AUTH" -H 'Content-Type: application/json' \
    -d '{"id":"'"$2"'","kind":"static-route","targets":{"selector":{"role":"leaf"}},"spec":{"prefix":"198.51.100.0/24","next_hops":[{"next_hop":"'"$3"'"}]}}'
  for _ in $(seq 1 6000); do
    st=$(curl -s -H "$AUTH" "$1/v1/intents/$2" | python3 -c 'import sys,json; print(json.load(sys.stdin).get("state"))' 2>/dev/null || true)
    case $st in applied|failed|rolled-back) break;; esac
    sleep 0.05
  done
  t1=$(date +%s.%N)
  [ "$st" = applied ] || { echo "intent $2 ended $st" >&2; exit 1; }
  echo "$t1 - $t0" | bc
}

port=18180
printf '%-8s %-22s %-10s %-26s %s\n' devices "idle cpu (% of 1 core)" "rss MiB" "one intent to every leaf" "per device"
for n in "${NODES[@]}"; do
  dir=$WORK/gen$n; mkdir -p "$dir"
  "$BIN" lab gen --nodes "$n" -o "$dir/gen$n.clab.yml"
  "$BIN" lab up "$dir/gen$n.clab.yml" >"$dir/lab.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 1 300); do [ -f "$dir/clab-gen$n/netagent-inventory.yml" ] && grep -q "Ctrl-C" "$dir/lab.log" && break; sleep 0.1; done
  port=$((port+1)); addr=127.0.0.1:$port
  NETAGENT_DATA_DIR=$dir/data NETAGENT_LISTEN=$addr "$BIN" serve --inventory "$dir/clab-gen$n/netagent-inventory.yml" >"$dir/serve.log" 2>&1 & agent=$!; PIDS+=($agent)
  for _ in $(seq 1 300); do [ -s "$dir/data/admin.token" ] && curl -sf -o /dev/null "http://$addr/healthz" && break; sleep 0.1; done
  AUTH="Authorization: Bearer $(tr -d '\n' <"$dir/data/admin.token")"
  plan_all "http://$addr"
  sleep 3
  idle=$(cpu "$agent" 30)
  leaves=$(grep -c 'role: leaf' "$dir/gen$n.clab.yml")
  apply "http://$addr" "warmup$n" 192.0.2.1 >/dev/null
  s=$(apply "http://$addr" "scale$n" 192.0.2.2)
  printf '%-8s %-22s %-10s %-26s %s\n' "$n" "$idle" "$(rss "$agent")" "$s s ($leaves leaves)" "$(echo "scale=2; $s*1000/$leaves" | bc) ms"
done
