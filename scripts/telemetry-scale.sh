#!/usr/bin/env bash
# telemetry-scale.sh [NODES]: the 1,000-device telemetry figure of README's
# Performance section (Telemetry table). It generates a leaf-spine lab of
# NODES devices (default 1000), runs `netagent lab up` in one process and
# `netagent serve --inventory` in another (10 s base interval, the
# defaults), waits until every device of the inventory is being collected
# (GET /v1/telemetry/collectors: a sample in the last 30 s), then measures
# the agent over MEASURE seconds (default 60): CPU as % of one core (from
# /proc), resident memory, series held, lag (median and max over devices),
# samples stored and drops by reason (/metrics), and the load average.
#
# Environment:
#   BASE_PORT   the agent's API port (default 24080); pprof on BASE_PORT+1
#   MEASURE     seconds of the CPU measurement (default 60)
#   SETTLE      seconds to wait after every device is collected (default 30)
#   WAIT        most seconds to wait for every device (default 900)
#   PROFILE     if set, a directory to write profiles of the measurement to
#               (cpu.pprof over MEASURE, heap.pprof at its end)
#   KEEP        if set, the work directory is kept (logs)
# The lab's devices listen on ephemeral loopback ports. Everything is
# stopped on exit. Needs curl, python3.
set -euo pipefail

N=${1:-1000}
BASE_PORT=${BASE_PORT:-24080}
MEASURE=${MEASURE:-60}
SETTLE=${SETTLE:-30}
WAIT=${WAIT:-900}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/netagent-telemetry-scale.XXXXXX)
BIN=$WORK/netagent
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
(cd "$ROOT" && go build -o "$BIN" ./cmd/netagent)
TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status"; }

dir=$WORK/gen$N; mkdir -p "$dir"
"$BIN" lab gen --nodes "$N" -o "$dir/gen$N.clab.yml"
"$BIN" lab up "$dir/gen$N.clab.yml" >"$dir/lab.log" 2>&1 & lab=$!; PIDS+=($lab)
for _ in $(seq 1 1200); do
  [ -f "$dir/clab-gen$N/netagent-inventory.yml" ] && grep -q "Ctrl-C" "$dir/lab.log" && break
  kill -0 "$lab" 2>/dev/null || { cat "$dir/lab.log" >&2; exit 1; }
  sleep 0.1
done
addr=127.0.0.1:$BASE_PORT
NETAGENT_DATA_DIR=$dir/data NETAGENT_LISTEN=$addr NETAGENT_DEBUG_PPROF_LISTEN=127.0.0.1:$((BASE_PORT + 1)) \
  "$BIN" serve --inventory "$dir/clab-gen$N/netagent-inventory.yml" >"$dir/serve.log" 2>&1 & agent=$!; PIDS+=($agent)
for _ in $(seq 1 600); do
  [ -s "$dir/data/admin.token" ] && curl -sf -o /dev/null "http://$addr/healthz" && break
  kill -0 "$agent" 2>/dev/null || { tail -20 "$dir/serve.log" >&2; exit 1; }
  sleep 0.1
done
AUTH="Authorization: Bearer $(tr -d '\n' <"$dir/data/admin.token")"
t0=$(date +%s)

# collected prints "collected total decode-wire lag-median-s lag-max-s
# samples errors": a device is collected when its latest sample is more
# recent than twice its interval (calm devices back off to 60 s) plus 15 s.
collected() {
  curl -sf -H "$AUTH" "http://$addr/v1/telemetry/collectors" | python3 -c '
import sys, json, datetime
ds = json.load(sys.stdin)["devices"]
now = datetime.datetime.now(datetime.timezone.utc)
def age(d):
    t = d.get("last_sample") or ""
    if t.startswith("0001"):
        return 1e9
    t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return (now - t).total_seconds()
ok = [d for d in ds if age(d) < 2 * d["interval"] / 1e9 + 15]
lags = sorted(d["lag"] / 1e9 for d in ok) or [0]
print(len(ok), len(ds), sum(d.get("decode") == "wire" for d in ok), "%.2f" % lags[len(lags) // 2], "%.2f" % lags[-1],
      sum(d["samples"] for d in ds), sum(d["errors"] for d in ds))'
}
while :; do
  read -r ok total wire _ <<<"$(collected)"
  el=$(( $(date +%s) - t0 ))
  echo "after ${el}s: $ok of $total devices collected ($wire over gNMI), load $(cut -d' ' -f1-3 /proc/loadavg), rss $(rss "$agent") MiB" >&2
  [ "$ok" -ge "$N" ] && break
  [ "$el" -ge "$WAIT" ] && { echo "not every device collected after ${WAIT}s" >&2; exit 1; }
  sleep 10
done
all_at=$el
sleep "$SETTLE"

drops() { curl -sf -H "$AUTH" "http://$addr/metrics" | awk '/^netagent_telemetry_drops_total/ { r = "all"; if (match($0, /reason="[^"]*"/)) r = substr($0, RSTART + 8, RLENGTH - 9); s[r] += $NF } END { for (r in s) printf "%s=%d ", r, s[r] }'; }
read -r _ _ _ _ _ s0 e0 <<<"$(collected)"
d0=$(drops)
a=$(ticks "$agent"); la=$(ticks "$lab")
if [ -n "${PROFILE:-}" ]; then
  mkdir -p "$PROFILE"
  curl -sf -o "$PROFILE/cpu.pprof" "http://127.0.0.1:$((BASE_PORT + 1))/debug/pprof/profile?seconds=$MEASURE"
  curl -sf -o "$PROFILE/heap.pprof" "http://127.0.0.1:$((BASE_PORT + 1))/debug/pprof/heap"
else
  sleep "$MEASURE"
fi
b=$(ticks "$agent"); lb=$(ticks "$lab")
read -r ok total wire lagmed lagmax s1 e1 <<<"$(collected)"
metrics=$(curl -sf -H "$AUTH" "http://$addr/metrics")
metric() { awk -v m="$1" -v d="${2:-1}" '$1 == m { printf "%.0f", $2 / d }' <<<"$metrics"; }
series=$(metric netagent_telemetry_series)
heap=$(metric go_memstats_heap_inuse_bytes 1048576)
rings=$(metric netagent_telemetry_store_bytes 1048576)
full=$(awk -v n="$series" -v b="$(metric netagent_telemetry_series_max_bytes)" 'BEGIN { printf "%.0f", n * b / 1048576 }')
printf 'devices        %s collected of %s (%s over gNMI), every one after %ss\n' "$ok" "$total" "$wire" "$all_at"
printf 'agent cpu      %s %% of one core over %ss\n' "$(python3 -c "print(round(($b-$a)*100/$TCK/$MEASURE, 1))")" "$MEASURE"
printf 'lab cpu        %s %% of one core\n' "$(python3 -c "print(round(($lb-$la)*100/$TCK/$MEASURE, 1))")"
printf 'agent rss      %s MiB (Go heap in use %s MiB, stacks %s MiB, %s goroutines), %s series\n' "$(rss "$agent")" "$heap" "$(metric go_memstats_stack_inuse_bytes 1048576)" "$(metric go_goroutines)" "$series"
printf 'rings          %s MiB now, %s MiB once every ring is full\n' "$rings" "$full"
printf 'samples        %s stored in %ss (%s/s), %s collection errors\n' "$((s1 - s0))" "$MEASURE" "$(((s1 - s0) / MEASURE))" "$((e1 - e0))"
printf 'lag            median %s s, max %s s\n' "$lagmed" "$lagmax"
printf 'drops          before: %s; after: %s\n' "${d0:-none}" "$(drops)"
printf 'load average   %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
# The latest drop of (at most) five devices that dropped anything.
curl -sf -H "$AUTH" "http://$addr/v1/telemetry/collectors" | python3 -c '
import sys, json
ds = [d for d in json.load(sys.stdin)["devices"] if d.get("drops")]
for d in ds[:5]:
    print("  dropped on %s: %d %s; latest: %s" % (d["device"], d["drops"], d.get("drop_reasons"), d.get("last_drop")))'
