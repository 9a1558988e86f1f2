# HTTP helpers for the clara-stream serve tests (sourced after client.bash).
command -v curl >/dev/null || fail "curl is not installed (tools/install-deps.sh)"

# The test database with 20K generated documents: its large export (~40 MB)
# outlasts the kernel's socket buffers (several MB each way on loopback), so
# "mid-stream" is mid-stream.
new_http_corpus() {
    new_database
    "$CLARA_STREAM" generate --docs 20000 --seed 11 --output "$WORK/corpus.jsonl" --quiet
    "$CLARA_STREAM" load "$WORK/corpus.jsonl" --quiet
}

SERVERS=()
stop_servers() {
    local pid
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop_servers; cleanup' EXIT

# start_server NAME ARGS...: clara-stream serve on a free loopback port (the
# server picks it: --listen 127.0.0.1:0); sets URL and SERVER_PID, its
# stderr (startup line, access log) goes to $WORK/NAME.log.
start_server() {
    local name=$1 i
    shift
    "$CLARA_STREAM" serve --listen 127.0.0.1:0 "$@" 2>"$WORK/$name.log" &
    SERVER_PID=$!
    SERVERS+=("$SERVER_PID")
    for i in $(seq 1 200); do
        grep -q "listening on" "$WORK/$name.log" && break
        kill -0 "$SERVER_PID" 2>/dev/null || fail "$name: serve exited: $(cat "$WORK/$name.log")"
        sleep 0.05
    done
    URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\) .*|\1|p' "$WORK/$name.log")
    [ -n "$URL" ] || fail "$name: no listening line in $(cat "$WORK/$name.log")"
}

# body QUERY TOP_K MIN_QUALITY [EXTRA_JSON]: the seed's request body; the
# query goes through json.dumps, whatever characters it has.
body() {
    "$PYTHON" - "$@" <<'PY'
import json, sys
q = {"query_text": sys.argv[1], "top_k": int(sys.argv[2]), "min_quality_score": float(sys.argv[3])}
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
q.update(extra.pop("search_query", {}))
print(json.dumps({"name": "test", "description": "integration test", "search_query": q,
                  "export_formats": ["jsonl"], **extra}))
PY
}

# post PATH BODY OUT [CURL_ARGS...]: POST JSON to the main server; the status
# in $WORK/status, the headers in $WORK/headers.
post() {
    local path=$1 data=$2 out=$3
    shift 3
    curl -sS -o "$out" -D "$WORK/headers" -w '%{http_code}' -X POST "$MAIN_URL$path" \
        -H 'Content-Type: application/json' --data-binary "$data" "$@" >"$WORK/status"
}
status() { cat "$WORK/status"; }
header() { tr -d '\r' <"$WORK/headers" | sed -n "s/^$1: //Ip"; }

# expect_error STATUS FIELD FILE: FILE is {"error": "<text>", "field": FIELD}
# (FIELD "null" for none).
expect_error() {
    local want=$1 field=$2 file=$3
    [ "$(status)" = "$want" ] || fail "expected HTTP $want, got $(status): $(head -c 300 "$file")"
    "$PYTHON" - "$field" "$file" <<'PY' || fail "HTTP $want: not the expected error body: $(head -c 300 "$file")"
import json, sys
want, body = sys.argv[1], json.load(open(sys.argv[2]))
assert isinstance(body.get("error"), str) and body["error"], body
assert body.get("field") == (None if want == "null" else want), body
PY
}

# Statements of serve running in the database now.
running() {
    sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara-stream serve' AND state <> 'idle'"
}
wait_not_running() {  # $1: what; fails unless nothing runs within 1.5 s
    local i
    for i in $(seq 1 30); do
        [ "$(running)" -eq 0 ] && return 0
        sleep 0.05
    done
    fail "$1: a serve backend is still running: $(sql -c "SELECT state, wait_event, query FROM pg_stat_activity WHERE application_name = 'clara-stream serve' AND state <> 'idle'")"
}

# raw_exchange URL FILE: sends FILE's bytes as they are on one connection and
# reads until the server closes it; prints how many responses came and the
# first status line ("1 HTTP/1.1 400 Bad Request").
raw_exchange() {
    "$PYTHON" - "${1#http://}" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(open(sys.argv[2], "rb").read())
s.settimeout(10)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.count(b"HTTP/1.1 "), data.split(b"\r\n", 1)[0].decode())
PY
}
