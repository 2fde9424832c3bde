#!/usr/bin/env bash
# Runs the measurements behind docs/benchmarks.md, each against a fresh server on an empty day,
# and keeps each report (JSON) and the server's log in OUT (default /tmp/hallq-bench-results).
#
#   server/bench/run_goals.sh [--build DIR] [--out DIR] [--nodelay] [--data-root DIR] [GOAL...]
#
# GOAL is any of: displays-1k displays-10k tickets tickets-http tickets-single rss (default: all). With
# --nodelay the servers run with TCP_NODELAY preloaded (a diagnostic; see the docs). --data-root
# puts the servers' data directories elsewhere than /tmp: /dev/shm (tmpfs) takes the disk's fsync
# out of the measurement, a diagnostic that separates the disk's stalls from the CPU's part.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/h5"
out=/tmp/hallq-bench-results
data_root=/tmp
server_args=()
goals=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --nodelay) server_args+=(--nodelay); shift ;;
    --data-root) data_root=$2; shift 2 ;;
    *) goals+=("$1"); shift ;;
  esac
done
[[ ${#goals[@]} -gt 0 ]] || goals=(displays-1k displays-10k tickets tickets-http tickets-single rss)
mkdir -p "$out"
bench="$build/server/bench/hallq-bench"
hall="$root/assets/halls/bench-300.json"
ulimit -n "$(ulimit -Hn)"

run() {  # run NAME BENCH-ARGS...
  local name=$1; shift
  local port pid
  read -r port pid < <("$root/server/bench/start_server.sh" --build "$build" --data "$data_root/hallq-bench-$name" "${server_args[@]}")
  echo "== $name (server pid $pid, port $port; load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$bench" --server "127.0.0.1:$port" --server-pid "$pid" --config "$hall" --label "$name" --json "$@" \
    >"$out/$name.json" || true
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  cp "$data_root/hallq-bench-$name.log" "$out/$name.server.log"
  python3 - "$out/$name.json" <<'EOF' >&2 || true
import json, sys
r = json.load(open(sys.argv[1]))
def g(*path):
    v = r
    for p in path:
        if not isinstance(v, dict) or p not in v: return None
        v = v[p]
    return v
print("  error:", g("error")) if g("error") else None
print("  calls to all displays ms:", g("calls", "to_all_displays_ms"))
print("  displays left behind:", g("displays", "left_behind"), "failed:", g("displays", "failed"))
print("  tickets/s:", g("kiosks", "per_second"), "issue ms:", g("kiosks", "latency_ms"))
print("  CPU us per ticket:", g("kiosks", "cpu_us_per_ticket")) if g("kiosks", "cpu_us_per_ticket") else None
p = g("server", "process") or {}
print("  server rss MB end/max/hwm: %.1f / %.1f / %.1f, cpu %s%%" % (
    p.get("rss_kb_end", 0) / 1024, p.get("rss_kb_max_sampled", 0) / 1024, p.get("hwm_kb", 0) / 1024,
    p.get("cpu_percent")))
print("  per commit:", g("server", "metrics_delta", "commands_per_commit"),
      "commit ms:", g("server", "metrics_delta", "commit_mean_ms"))
EOF
}

for goal in "${goals[@]}"; do
  case "$goal" in
    # The displays are read on two threads: a hall's screens read in parallel, and one bench
    # thread reading 60,000 messages a second was itself a bottleneck (docs/benchmarks.md).
    displays-1k)
      run displays-1k --displays 1000 --display-threads 2 --clerks 10 --calls-per-second 20 --duration 60 ;;
    displays-10k)
      run displays-10k --displays 10000 --display-threads 2 --clerks 10 --calls-per-second 2 --duration 60 --drain 30 ;;
    tickets)  # command-only WebSocket kiosks, 16 x 64 in flight (flat_kiosks.h)
      run tickets --kiosks 16 --kiosk-pipeline 64 --duration 10 ;;
    tickets-http)
      run tickets-http --kiosks 256 --kiosk-transport http --duration 10 ;;
    tickets-single)
      run tickets-single --kiosks 1 --kiosk-transport http --duration 10 ;;
    rss)
      run rss --preissue 20000 --displays 1000 --clerks 10 --calls-per-second 20 --kiosks 2 --issue-rate 10 \
        --duration 60 --kiosk-pipeline 64 ;;
    *) echo "run_goals.sh: unknown goal $goal" >&2; exit 2 ;;
  esac
done
echo "reports in $out" >&2
