#!/usr/bin/env bash
# clara-stream serve under clients that hold on to it: one byte a second
# cannot hold a worker past --request-timeout (408); readers slower than
# --min-rate give their database connection up while others wait; SIGTERM
# lets running streams finish within --shutdown-grace and takes no new ones.
set -euo pipefail
TEST=http_limits
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/http.bash"
new_http_corpus
BIG_QUERY="Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil"

# 1. Slowloris: as many connections as workers, each sending its request
#    line a byte a second. Each is answered 408 and closed once
#    --request-timeout has passed since its first byte, and /health, queued
#    behind them, is answered then.
start_server slow --dsn "dbname=$DB" --workers 4 --pool-size 2 --request-timeout 2
clients=()
for i in 1 2 3 4; do
    "$PYTHON" - "${URL#http://}" >"$WORK/loris$i.out" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
try:
    for c in b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n":
        s.send(bytes([c]))
        time.sleep(1)
except OSError:
    pass
s.settimeout(5)
print(s.recv(200).split(b"\r\n", 1)[0].decode())
PY
    clients+=($!)
done
sleep 1
code=$(curl -sS -o "$WORK/health.json" -w '%{http_code}' --max-time 20 "$URL/health")
[ "$code" = 200 ] || fail "slowloris: /health answered HTTP $code"
wait "${clients[@]}"
for i in 1 2 3 4; do
    got=$(cat "$WORK/loris$i.out")
    [ "$got" = "HTTP/1.1 408 Request Timeout" ] || fail "slowloris connection $i: got '$got', expected 408"
done
n=$(grep -c ' 408 rows=0 bytes=0 ms=[0-9.]* request headers not received in time$' "$WORK/slow.log" || true)
[ "$n" -eq 4 ] || fail "slowloris: $n access-log lines for the 408s: $(tail -n 6 "$WORK/slow.log")"
pass "4 one-byte-a-second clients on 4 workers: each 408 after --request-timeout, /health answered"

# A body that trickles: 408 as well, from the handler, with a JSON body.
"$PYTHON" - "${URL#http://}" >"$WORK/body.out" <<'PY'
import socket, sys
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /api/datasets/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 100\r\n\r\n{\"search")
s.settimeout(10)
data = b""
while b"}" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n", 1)[0].decode(), body.decode())
PY
got=$(cat "$WORK/body.out")
case "$got" in
"HTTP/1.1 408 Request Timeout {\"error\":\"request body not received within 2 seconds\""*) ;;
*) fail "slow body: '$got'" ;;
esac
pass "a body that does not arrive within --request-timeout: 408 with a JSON body"

# 2. Readers slower than --min-rate: two streams read at 1 KB/s hold both
#    pool connections; a third request waits for one, and the slow streams
#    end (between two lines) instead of the third getting 503.
start_server rate --dsn "dbname=$DB" --pool-size 2 --pool-wait 30 --min-rate 65536
clients=()
for i in 1 2; do
    "$PYTHON" - "${URL#http://}" "$(body "$BIG_QUERY" 100000 0)" "$WORK/slow$i.http" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].split(":")
body = sys.argv[2].encode()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect((host, int(port)))
s.sendall(b"POST /api/datasets/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
data = b""
start = time.time()
while True:
    # 1 KB/s for 15 s, then as fast as it comes: what was sent before the
    # server ended the stream is read to the end.
    chunk = s.recv(1024 if time.time() - start < 15 else 1 << 20)
    if not chunk:
        break
    data += chunk
    if time.time() - start < 15:
        time.sleep(1)
open(sys.argv[3], "wb").write(data)
PY
    clients+=($!)
done
for i in $(seq 1 200); do [ "$(running)" -eq 2 ] && break; sleep 0.1; done
[ "$(running)" -eq 2 ] || fail "min-rate: the two slow streams are not both running"
code=$(curl -sS -o "$WORK/third.http" -w '%{http_code}' --max-time 60 -X POST "$URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body Genehmigung 10 0)")
[ "$code" = 200 ] || fail "min-rate: the waiting request got HTTP $code: $(head -c 300 "$WORK/third.http")"
[ "$(lines "$WORK/third.http")" -eq 10 ] || fail "min-rate: the waiting request got $(lines "$WORK/third.http") lines"
wait "${clients[@]}"
n=$(grep -c 'aborted: client read [0-9]* bytes/s (< --min-rate 65536) while a request waited' "$WORK/rate.log" || true)
[ "$n" -ge 1 ] || fail "min-rate: no slow stream was ended: $(tail -n 4 "$WORK/rate.log")"
cut=0
for i in 1 2; do
    # What arrived of a stream is whole lines, whether it was ended or (once
    # the other one freed a connection) ran to its end; a chunked body, so
    # the chunk framing is taken apart first.
    how=$("$PYTHON" - "$WORK/slow$i.http" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
head, _, rest = raw.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head[:40]
parts, how, at = [], "cut", 0
while at < len(rest):
    eol = rest.index(b"\r\n", at)
    size = int(rest[at:eol], 16)
    if size == 0:
        how = "complete"
        break
    assert len(rest) >= eol + 2 + size, "a chunk was cut"
    parts.append(rest[eol + 2:eol + 2 + size])
    at = eol + 4 + size
body = b"".join(parts)
assert body.endswith(b"\n"), body[-80:]
for line in body.splitlines():
    json.loads(line)
print(how)
PY
) || fail "min-rate: slow stream $i is not whole lines"
    [ "$how" = cut ] && cut=$((cut + 1))
done
[ "$cut" -ge 1 ] || fail "min-rate: no slow stream was ended early"
pass "$cut of two 1 KB/s readers ended between lines while a request waited; it got its 10 lines"

# 3. SIGTERM with a grace: a stream already running finishes completely, a
#    new connection is refused, serve exits 0.
start_server grace --dsn "dbname=$DB" --shutdown-grace 30
curl -sS -N --limit-rate 2m -o "$WORK/graced.http" -X POST "$URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body "$BIG_QUERY" 3000 0)" 2>"$WORK/curl.err" &
client=$!
for i in $(seq 1 600); do [ -s "$WORK/graced.http" ] && break; sleep 0.05; done
[ -s "$WORK/graced.http" ] || fail "grace: the stream never started"
kill -TERM "$SERVER_PID"
sleep 0.3
rc=0
curl -sS -o /dev/null --max-time 5 "$URL/health" 2>/dev/null || rc=$?
[ "$rc" -eq 7 ] || fail "grace: a new connection after SIGTERM: curl exit $rc, expected 7 (refused)"
rc=0
wait "$client" || rc=$?
[ "$rc" -eq 0 ] || fail "grace: the running stream did not complete: curl exit $rc: $(cat "$WORK/curl.err")"
full=$(sql -c "SELECT count(*) FROM clara_search('$BIG_QUERY', 3000, 0)")
got=$(lines "$WORK/graced.http")
[ "$got" -eq "$full" ] || fail "grace: $got of $full lines"
check_jsonl "$WORK/graced.http"
rc=0
wait "$SERVER_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "grace: serve exited $rc"
pass "SIGTERM: the running stream finished ($got lines) within --shutdown-grace, new connections refused, exit 0"
