#!/usr/bin/env bash
# scale-bench.sh [NODES...]: the scale figures of README's Performance
# section, measured against the simulated lab in a separate process:
#   - agent CPU over 30 s with a session open on every device and nothing
#     to do (as % of one core), and its resident memory;
#   - one static-route intent to every leaf, submitted and applied (warm),
#     wall time and time per device, and which path applied it (the txn
#     coordinator when txn.enabled, the default; else the executor).
# Defaults to 100 and 1000 devices. Each size runs the agent once per
# telemetry setting (TELEMETRY, default "off on": telemetry.enabled false,
# then true, the default, which collects from every device, so its idle
# figure is collection's cost, not nothing to do), each with a fresh data
# directory against the same lab.
# Environment: PORT_BASE (default 18180) is the first of the agent's fixed
# ports (PORT_BASE+1... for the API, PORT_BASE+101... for pprof with
# PPROF=1, which also saves CPU profiles of the idle period and of the
# measured intent's first 10 s, and a heap profile after it);
# KEEP=DIR keeps the work directory's logs and profiles in DIR.
# IDLE_SECONDS (default 30).
# Everything listens on 127.0.0.1 and is stopped on exit. Requests carry the
# admin token the agent creates in its data directory. Needs curl, bc and
# python3.
set -euo pipefail

NODES=("$@")
[ $# -eq 0 ] && NODES=(100 1000)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/netagent-scale.XXXXXX)
BIN=$WORK/netagent
PIDS=()
PORT_BASE=${PORT_BASE:-18180}
TELEMETRY=${TELEMETRY:-off on}
IDLE_SECONDS=${IDLE_SECONDS:-30}
KEEP=${KEEP:-}
PPROF=${PPROF:-}
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp -r "$WORK"/gen* "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$ROOT" && go build -o "$BIN" ./cmd/netagent)
TCK=$(getconf CLK_TCK)

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; } # PID -> CPU time so far, in clock ticks
pct() { printf '%.2f' "$(echo "scale=4; ($2-$1)*100/$TCK/$3" | bc)"; } # TICKS0 TICKS1 SECONDS -> % of one core
rss() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status"; }
plan_all() { # ADDR: a dry run per role opens a session on every device
  local r code
  for r in leaf spine super-spine; do
    code=$(curl -s -o "$WORK/plan.out" -w '%{http_code}' -X POST "$1/v1/intents:plan" -H "$AUTH" -H 'Content-Type: application/json' \
      -d '{"kind":"static-route","targets":{"selector":{"role":"'"$r"'"}},"spec":{"prefix":"198.51.100.0/24","next_hops":[{"next_hop":"192.0.2.1"}]}}' || true)
    [ "$code" = 200 ] || { echo "dry run of role $r: HTTP $code: $(head -c 600 "$WORK/plan.out" 2>/dev/null)" >&2; exit 1; }
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
  printf '%.2f' "$(echo "$t1 - $t0" | bc)"
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
k=0
printf '%-8s %-9s %-22s %-14s %-26s %-10s %s\n' devices telemetry "idle cpu (% of 1 core)" "rss MiB (idle)" "one intent to every leaf" "per device" "rss MiB (after), path; the lab's idle cpu"
for n in "${NODES[@]}"; do
  dir=$WORK/gen$n; mkdir -p "$dir"
  "$BIN" lab gen --nodes "$n" -o "$dir/gen$n.clab.yml"
  "$BIN" lab up "$dir/gen$n.clab.yml" >"$dir/lab.log" 2>&1 & labpid=$!; PIDS+=($labpid)
  for _ in $(seq 1 600); do [ -f "$dir/clab-gen$n/netagent-inventory.yml" ] && grep -q "Ctrl-C" "$dir/lab.log" && break; sleep 0.1; done
  leaves=$(grep -c 'role: leaf' "$dir/gen$n.clab.yml")
  for tel in $TELEMETRY; do
    k=$((k+1)); addr=127.0.0.1:$((PORT_BASE+k)); data=$dir/data-$tel
    enabled=true; [ "$tel" = off ] && enabled=false
    env=(NETAGENT_DATA_DIR="$data" NETAGENT_LISTEN="$addr" NETAGENT_TELEMETRY_ENABLED=$enabled)
    [ -n "$PPROF" ] && env+=(NETAGENT_DEBUG_PPROF_LISTEN=127.0.0.1:$((PORT_BASE+100+k)))
    env "${env[@]}" "$BIN" serve --inventory "$dir/clab-gen$n/netagent-inventory.yml" >"$dir/serve-$tel.log" 2>&1 & agent=$!; PIDS+=($agent)
    for _ in $(seq 1 600); do [ -s "$data/admin.token" ] && curl -sf -o /dev/null "http://$addr/healthz" && break; sleep 0.1; done
    AUTH="Authorization: Bearer $(tr -d '\n' <"$data/admin.token")"
    plan_all "http://$addr"
    # Telemetry spreads its collectors' starts over one base interval (at
    # most 10 s): let them all start before measuring.
    if [ "$tel" = off ]; then sleep 3; else sleep 15; fi
    if [ -n "$PPROF" ]; then
      curl -sf -o "$dir/idle-$tel.cpu.pprof" "http://127.0.0.1:$((PORT_BASE+100+k))/debug/pprof/profile?seconds=$IDLE_SECONDS" & prof=$!
    fi
    a0=$(ticks "$agent"); l0=$(ticks "$labpid"); sleep "$IDLE_SECONDS"; a1=$(ticks "$agent"); l1=$(ticks "$labpid")
    idle=$(pct "$a0" "$a1" "$IDLE_SECONDS"); labidle=$(pct "$l0" "$l1" "$IDLE_SECONDS")
    if [ -n "$PPROF" ]; then wait "$prof" || echo "cpu profile of $n devices, telemetry $tel: not saved" >&2; fi
    rss_idle=$(rss "$agent")
    apply "http://$addr" "warmup$n" 192.0.2.1 >/dev/null
    txns=$(grep -c 'msg="txn end".*state=confirmed' "$dir/serve-$tel.log" || true)
    if [ -n "$PPROF" ]; then
      curl -sf -o "$dir/intent-$tel.cpu.pprof" "http://127.0.0.1:$((PORT_BASE+100+k))/debug/pprof/profile?seconds=10" & prof=$!
    fi
    s=$(apply "http://$addr" "scale$n" 192.0.2.2)
    if [ -n "$PPROF" ]; then wait "$prof" || echo "cpu profile of the intent: not saved" >&2; fi
    path=executor
    [ "$(grep -c 'msg="txn end".*state=confirmed' "$dir/serve-$tel.log" || true)" -gt "$txns" ] && path="txn coordinator"
    if [ -n "$PPROF" ]; then
      curl -sf -o "$dir/after-$tel.heap.pprof" "http://127.0.0.1:$((PORT_BASE+100+k))/debug/pprof/heap" || echo "heap profile not saved" >&2
    fi
    printf '%-8s %-9s %-22s %-14s %-26s %-10s %s\n' "$n" "$tel" "$idle" "$rss_idle" "$s s ($leaves leaves)" \
      "$(printf '%.1f' "$(echo "scale=4; $s*1000/$leaves" | bc)") ms" "$(rss "$agent"), $path; lab $labidle %"
    stop_pid "$agent"
  done
  stop_pid "$labpid"
done
