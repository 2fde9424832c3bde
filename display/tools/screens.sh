#!/bin/bash
# Renders every display layout with the SAMPLE hall into docs/screens/display-*.png:
# starts a hallq-server on a free port with a scratch data dir, issues and calls tickets like a
# mid-morning, and runs hallq-display offscreen with --screenshot for each layout and size.
#   display/tools/screens.sh BUILD_DIR        (e.g. build/hD)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:?build dir, e.g. build/hD}
HALL=assets/halls/sample-county.json
OUT=docs/screens
DATA=$(mktemp -d /tmp/hallq-screens-XXXXXX)
export SDL_VIDEODRIVER=offscreen SDL_AUDIODRIVER=dummy ASAN_OPTIONS=detect_leaks=0
tok() { python3 -c "import json;print([d['token'] for d in json.load(open('$HALL'))['devices'] if d['id']=='$1'][0])"; }

"$B/server/app/hallq-server" --config $HALL --data "$DATA" --listen 127.0.0.1:0 --always-open > "$DATA/server.out" 2> "$DATA/server.err" &
SERVER=$!
# A server already stopped (the last shot) must not fail the script, nor keep its data.
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do grep -q listening "$DATA/server.out" && break; sleep 0.2; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$DATA/server.out")
S=http://127.0.0.1:$PORT
ADMIN=$(curl -s -X POST $S/api/login -d '{"user":"admin","password":"admin-demo"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
post() { curl -s -o /dev/null -X POST "$S$1" -H "Authorization: Bearer $ADMIN" -d "$2"; }
n=0
for svc in A A A A B B B D D D D D E E E E E E F F G H J J J K L M P A B D E; do
  n=$((n+1)); post /api/tickets "{\"service\":\"$svc\",\"request_id\":\"shot-$n\"}"
done
for w in 7 11 20 14 3 5 2 1; do post /api/windows/$w/call-next "{\"request_id\":\"shot-call-$w\"}"; done
post /api/windows/4/pause '{"request_id":"shot-pause-4"}'
post /api/commands/notice "{\"text\":\"$(python3 -c "import json;print(json.load(open('$HALL'))['notice'])")\",\"request_id\":\"shot-notice\"}"

D="$B/display/hallq-display --server 127.0.0.1:$PORT --no-voice --no-marquee"
$D --token "$(tok board-1)" --layout board --size 1920x1080 --screenshot $OUT/display-board-1080p.png
$D --token "$(tok board-2)" --layout board --size 1280x720 --lang zh-TW --screenshot $OUT/display-board-720p-zh-TW.png
$D --token "$(tok strip-1)" --layout strip --size 512x64 --screenshot $OUT/display-strip-512x64.png
$D --token "$(tok strip-3)" --layout strip --size 640x160 --screenshot $OUT/display-strip-640x160.png
$D --token "$(tok strip-4)" --layout strip --size 512x64 --screenshot $OUT/display-strip-512x64-paused.png
$D --token "$(tok kiosk-1)" --layout kiosk --size 1280x800 --screenshot $OUT/display-kiosk.png
$D --token "$(tok kiosk-1)" --layout kiosk --size 1280x800 --lang zh-TW --screenshot $OUT/display-kiosk-zh-TW.png
# 预约取号: the code entry with four digits typed (as a QR scanner or the keypad would).
$D --token "$(tok kiosk-1)" --layout kiosk --size 1280x800 --kiosk-type 4839 --screenshot $OUT/display-kiosk-appointment.png
# The kiosk's printer out of paper (printer-1 says so over its WebSocket, held open meanwhile) and
# a visitor taking a number anyway: the banner, and "it prints once the printer is fixed".
python3 - "$PORT" "$(tok printer-1)" <<'PY' &
import json, os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
while b"\r\n\r\n" not in s.recv(4096): pass
def send(obj):  # one masked text frame (clients must mask)
    data, mask = json.dumps(obj).encode(), os.urandom(4)
    head = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else bytes([0x81, 0xFE]) + len(data).to_bytes(2, "big")
    s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
send({"type": "hello", "token": sys.argv[2]})
send({"type": "device_status", "status": "paper_out", "detail": "paper roll empty"})
time.sleep(12)
PY
PRN=$!
sleep 2
$D --token "$(tok kiosk-1)" --layout kiosk --size 1280x800 --tap 200,180 --screenshot $OUT/display-kiosk-printer-out.png
kill $PRN 2>/dev/null || true; wait $PRN 2>/dev/null || true
# The evaluator asks once a visit at its window completes: start it, finish window 1's visit, shoot.
$D --token "$(tok eval-1)" --layout evaluator --size 1280x800 --screenshot-on-signal $OUT/display-evaluator.png &
EV=$!
sleep 3
post /api/windows/1/start '{"request_id":"shot-start-1"}'
post /api/windows/1/complete '{"request_id":"shot-complete-1"}'
sleep 2; kill -USR1 $EV; sleep 2; kill $EV; wait $EV || true
# A day off: a second server whose hall clock says Saturday, opening hours kept (no
# --always-open). Every service is grey and the prompt says the hall is closed today; the
# visitor's tap on a grey service sends nothing.
DAYOFF=$(mktemp -d /tmp/hallq-screens-XXXXXX)
"$B/server/app/hallq-server" --config $HALL --data "$DAYOFF" --listen 127.0.0.1:0 --start-time 2026-11-28T10:00 \
  > "$DAYOFF/server.out" 2> "$DAYOFF/server.err" &
SERVER2=$!
for _ in $(seq 100); do grep -q listening "$DAYOFF/server.out" && break; sleep 0.2; done
PORT2=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$DAYOFF/server.out")
"$B/display/hallq-display" --server 127.0.0.1:$PORT2 --no-voice --no-marquee --token "$(tok kiosk-1)" --layout kiosk \
  --size 1280x800 --tap 200,180 --screenshot $OUT/display-kiosk-closed-day.png
kill $SERVER2; wait $SERVER2 2>/dev/null || true
rm -rf "$DAYOFF"
# Friday 13:45 by the hall's clock: 出入境证件 (H) opens at 14:00, and 户籍办理 (G) has given out
# its day's tickets (its cap lowered to 5 in a copy of the hall, so five tickets reach it). The
# kiosk greys both with why, before anyone taps, and the board says why in their estimate column.
AFTERNOON=$(mktemp -d /tmp/hallq-screens-XXXXXX)
python3 -c "
import json; h = json.load(open('$HALL'))
for s in h['services']:
    if s['code'] == 'G': s['daily_cap'] = 5
json.dump(h, open('$AFTERNOON/hall.json', 'w'), ensure_ascii=False)"
"$B/server/app/hallq-server" --config "$AFTERNOON/hall.json" --data "$AFTERNOON" --listen 127.0.0.1:0 \
  --start-time 2026-11-27T13:45 > "$AFTERNOON/server.out" 2> "$AFTERNOON/server.err" &
SERVER3=$!
for _ in $(seq 100); do grep -q listening "$AFTERNOON/server.out" && break; sleep 0.2; done
PORT3=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$AFTERNOON/server.out")
S3=http://127.0.0.1:$PORT3
ADMIN3=$(curl -s -X POST $S3/api/login -d '{"user":"admin","password":"admin-demo"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
for n in 1 2 3 4 5; do
  curl -s -o /dev/null -X POST $S3/api/tickets -H "Authorization: Bearer $ADMIN3" -d "{\"service\":\"G\",\"request_id\":\"shot-g$n\"}"
done
"$B/display/hallq-display" --server 127.0.0.1:$PORT3 --no-voice --no-marquee --token "$(tok kiosk-1)" --layout kiosk \
  --size 1280x800 --screenshot $OUT/display-kiosk-afternoon.png
"$B/display/hallq-display" --server 127.0.0.1:$PORT3 --no-voice --no-marquee --token "$(tok kiosk-1)" --layout kiosk \
  --size 1280x800 --lang en --screenshot $OUT/display-kiosk-afternoon-en.png
"$B/display/hallq-display" --server 127.0.0.1:$PORT3 --no-voice --no-marquee --token "$(tok board-1)" --layout board \
  --size 1920x1080 --screenshot $OUT/display-board-afternoon.png
kill $SERVER3; wait $SERVER3 2>/dev/null || true
rm -rf "$AFTERNOON"
# The board with the server gone.
kill $SERVER; wait $SERVER 2>/dev/null || true
$D --token "$(tok board-1)" --layout board --size 1920x1080 --screenshot-wait-ms 3500 --screenshot $OUT/display-board-lost.png || true
ls -la $OUT/display-*.png
