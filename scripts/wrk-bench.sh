#!/usr/bin/env bash
# wrk-bench.sh [SECONDS] [CONNECTIONS]: the REST figures of README's
# Performance section against the real server and the two-node lab it
# starts (netagent serve, on 127.0.0.1): dry-run plans/s, durable submits/s
# with their latency, then SIGKILL right after the run and a check that
# every 202 is in the store and that the audit chain verifies. Requests
# carry the admin token the agent creates in its data directory. With PROFILE=DIR, a CPU profile of the
# agent during each run goes to DIR/plan.pprof and DIR/submit.pprof
# (debug.pprof_listen on loopback). Needs wrk (Debian: apt-get install
# wrk) and python3 (its sqlite3 module reads the store). WRK_PORT (default
# 18290) is the agent's port, WRK_PORT+1 its pprof listener; WRK_ONLY=submit
# skips the dry runs.
set -euo pipefail
SECS=${1:-10}; CONNS=${2:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/netagent-wrk.XXXXXX)
agent=""
cleanup() { [ -n "$agent" ] && kill -9 "$agent" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
(cd "$ROOT" && go build -o "$WORK/netagent" ./cmd/netagent)
port=${WRK_PORT:-18290}
addr=127.0.0.1:$port
pprof=127.0.0.1:$((port + 1))
NETAGENT_DATA_DIR=$WORK/data NETAGENT_LISTEN=$addr NETAGENT_DEBUG_PPROF_LISTEN=$pprof NETAGENT_LOG_LEVEL=warn \
  "$WORK/netagent" serve >"$WORK/serve.log" 2>&1 & agent=$!
for _ in $(seq 1 300); do [ -s "$WORK/data/admin.token" ] && curl -sf -o /dev/null "http://$addr/healthz" && break; sleep 0.1; done
AUTH="Authorization: Bearer $(tr -d '\n' <"$WORK/data/admin.token")"
TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$agent/stat"; }
run() { # NAME WRK-ARGS...: wrk's figures, then the agent's CPU per request
  local name=$1 t0 t1 out n; shift
  t0=$(ticks)
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "$AUTH" "$@")
  t1=$(ticks)
  echo "$out" | grep -E "Requests/sec|50%|99%|Non-2xx"
  n=$(echo "$out" | awk '/requests in/{print $1}')
  echo "  agent CPU: $(( (t1 - t0) * 1000000 / TCK / (n > 0 ? n : 1) )) us per request ($(( (t1 - t0) * 100 / TCK / SECS ))% of one core over the run)"
}
prof=""
profile() { # NAME: CPU profile of the agent over the run, in the background
  prof=""
  [ -n "${PROFILE:-}" ] || return 0
  mkdir -p "$PROFILE"
  curl -sf -o "$PROFILE/$1.pprof" "http://$pprof/debug/pprof/profile?seconds=$((SECS - 2))" & prof=$!
}
profiled() { [ -z "$prof" ] || wait "$prof" || true; }
if [ "${WRK_ONLY:-}" != submit ]; then
  echo "== dry-run plans, $CONNS connections, ${SECS}s"
  profile plan
  run plan -s "$ROOT/scripts/wrk/plan.lua" "http://$addr/v1/intents:plan"
  profiled
fi
echo "== durable submits, $CONNS connections, ${SECS}s"
profile submit
ACKED=$WORK/acked run submit -s "$ROOT/scripts/wrk/submit.lua" "http://$addr/v1/intents"
profiled
kill -9 "$agent"; wait "$agent" 2>/dev/null || true; agent=""
cat "$WORK"/acked-* > "$WORK/acked.txt"
python3 - "$WORK/data/netagent.db" "$WORK/acked.txt" <<'PY'
import sqlite3, sys
ids = {r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM intents")}
acked = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missing = [a for a in acked if a not in ids]
print(f"== after SIGKILL: {len(acked)} answered 202, {len(acked) - len(missing)} of them in the store, {len(missing)} lost")
sys.exit(1 if (missing or not acked) else 0)
PY
# The audit chain (two entries a submission, hash-chained) is intact.
"$WORK/netagent" audit verify --data-dir "$WORK/data" | tail -1
