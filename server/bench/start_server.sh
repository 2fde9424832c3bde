#!/usr/bin/env bash
# Starts a fresh Release hallq-server for hallq-bench and prints "PORT PID".
#
#   server/bench/start_server.sh [--build DIR] [--hall FILE] [--data DIR] [--nodelay] [-- SERVER-ARGS]
#
# The data directory is emptied first: every measurement starts from an empty day. The file
# descriptor limit is raised to the hard limit, since 10,000 displays need 10,000 sockets.
# --nodelay preloads libhallq_nodelay_preload.so (TCP_NODELAY on accepted sockets; diagnostic).
# Stop the server with: kill PID (it finishes pending commits first).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/h5"
hall="$root/assets/halls/bench-300.json"
data=/tmp/benchdata
nodelay=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --hall) hall=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --nodelay) nodelay=1; shift ;;
    --) shift; break ;;
    *) echo "start_server.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rm -rf "$data"
mkdir -p "$data"
ulimit -n "$(ulimit -Hn)"
log="$data.log"
rm -f "$log"  # a log left by an earlier run holds an old port
preload=()
if [[ $nodelay == 1 ]]; then preload=(env "LD_PRELOAD=$build/server/bench/libhallq_nodelay_preload.so"); fi
"${preload[@]}" "$build/server/app/hallq-server" --config "$hall" --data "$data" --listen 127.0.0.1:0 \
  --always-open "$@" >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  if port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$'); then
    echo "$port $pid"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
echo "start_server.sh: the server did not report its port; see $log" >&2
exit 1
