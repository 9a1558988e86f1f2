#!/usr/bin/env bash
# clara-stream load on lines only the server would reject, over-long lines,
# and a loader killed with SIGKILL: every bad line is named by its number
# and skipped with --on-error skip; the load stays one transaction; a dead
# loader's backend stops soon.
set -euo pipefail
TEST=client_load_rejects
source "$(dirname "$0")/lib/client.bash"

new_database
# The ids of the loaded documents, in order.
loaded() { sql -c "SELECT coalesce(string_agg(document_id, ',' ORDER BY document_id), '') FROM clara_documents"; }
long() { head -c "$1" /dev/zero | tr '\0' "$2"; }

# 1. What the probe found: each failed the whole load, naming no line, even
#    with --on-error skip. Now the client finds them.
{
    echo '{"document_id":"r1","content":"gut"}'
    echo '{"document_id":"r2","content":"x","metadata":{"n":1e1000000}}'
    echo "{\"document_id\":\"$(long 9000 i)\",\"content\":\"x\"}"
    echo "{\"document_id\":\"r4\",\"content\":\"x\",\"citations\":[\"r1\",\"$(long 9000 c)\"]}"
    echo '{"document_id":"r5","content":"gut","metadata":{"n":1e-400}}'
} >"$WORK/probe.jsonl"
expect_exit 7 "$CLARA_STREAM" load "$WORK/probe.jsonl"
stderr_has "line 2: number 1e1000000 is beyond the range of a double"
stderr_has "line 3: document_id is 9000 bytes long (at most 1024)"
stderr_has "line 4: citations: a document_id of 9000 bytes (at most 1024)"
stderr_has "3 malformed lines"
ids=$(loaded)
[ -z "$ids" ] || fail "abort loaded $ids"
expect_exit 0 "$CLARA_STREAM" load "$WORK/probe.jsonl" --on-error skip
stderr_has "5 read, 2 inserted, 0 updated, 0 unchanged, 3 skipped"
ids=$(loaded)
[ "$ids" = "r1,r5" ] || fail "skip loaded '$ids', expected r1,r5"
pass "out-of-range number, 9000-byte document_id and citation: bad lines with their numbers"

# 2. Lines the client cannot judge: here a CHECK constraint and a trigger of
#    this database (SQLSTATE 23514, 22023; on the derivation's side a
#    tsvector over 1 MB would be one). The upsert fails as a whole; it is
#    then bisected under savepoints to find and name the rejected lines.
sql -c "ALTER TABLE clara_documents ADD CONSTRAINT no_poison CHECK (content <> 'poison')"
sql <<'SQL'
CREATE FUNCTION refuse_cursed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'cursed' THEN
        RAISE EXCEPTION 'cursed title' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_cursed BEFORE INSERT OR UPDATE ON clara_documents FOR EACH ROW EXECUTE FUNCTION refuse_cursed();
SQL
{
    for i in $(seq 1 40); do
        case $i in
            7) echo '{"document_id":"s7","content":"poison","citations":["s1"]}' ;;
            23) echo '{"document_id":"s23","title":"cursed","content":"x"}' ;;
            24) echo '{"document_id":"r1","title":"cursed","content":"gut"}' ;;  # an update of a loaded row
            *) echo "{\"document_id\":\"s$i\",\"content\":\"Text $i\",\"citations\":[\"s1\"]}" ;;
        esac
    done
} >"$WORK/server.jsonl"
expect_exit 7 "$CLARA_STREAM" load "$WORK/server.jsonl"
stderr_has "line 7: rejected by the server: "
stderr_has "no_poison"
stderr_has "SQLSTATE 23514"
stderr_has "nothing loaded"
ids=$(loaded)
[ "$ids" = "r1,r5" ] || fail "abort changed the corpus: $ids"
edges=$(sql -c "SELECT count(*) FROM clara_edges")
[ "$edges" -eq 0 ] || fail "abort left $edges edges"
pass "abort: the first line the server rejects is named, nothing loaded"

expect_exit 0 "$CLARA_STREAM" load "$WORK/server.jsonl" --on-error skip
stderr_has "40 read, 37 inserted, 0 updated, 0 unchanged, 3 skipped; edges +37 -0"
stderr_has "line 7: rejected by the server: "
stderr_has "line 23: rejected by the server: cursed title (SQLSTATE 22023)"
stderr_has "line 24: rejected by the server: cursed title"
n=$(sql -c "SELECT count(*) FROM clara_documents WHERE document_id LIKE 's%'")
[ "$n" -eq 37 ] || fail "expected 37 s-documents, got $n"
gone=$(sql -c "SELECT count(*) FROM clara_documents WHERE document_id IN ('s7', 's23') OR title = 'cursed'")
[ "$gone" -eq 0 ] || fail "a rejected line was loaded"
# A rejected line is skipped whole: no edge of s7 either.
edges=$(sql -c "SELECT count(*) FROM clara_edges WHERE src_id = 's7'")
[ "$edges" -eq 0 ] || fail "the rejected line 7 left its edges"
pass "skip: lines the server rejects are found, named and skipped whole; the rest loaded"

# 3. --max-line-bytes: a longer line is a bad line, never held whole.
{
    echo '{"document_id":"m1","content":"kurz"}'
    printf '{"document_id":"m2","content":"%s"}\n' "$(long 3000000 a)"
    echo '{"document_id":"m3","content":"auch kurz"}'
} >"$WORK/long.jsonl"
expect_exit 7 "$CLARA_STREAM" load "$WORK/long.jsonl" --max-line-bytes 1048576
stderr_has "line 2: the line is 3000033 bytes long (--max-line-bytes 1048576)"
expect_exit 0 "$CLARA_STREAM" load "$WORK/long.jsonl" --max-line-bytes 1048576 --on-error skip
stderr_has "3 read, 2 inserted, 0 updated, 0 unchanged, 1 skipped"
expect_exit 0 "$CLARA_STREAM" load "$WORK/long.jsonl"
stderr_has "3 read, 1 inserted, 0 updated, 2 unchanged, 0 skipped"
len=$(sql -c "SELECT length(content) FROM clara_documents WHERE document_id = 'm2'")
[ "$len" -eq 3000000 ] || fail "m2 has $len characters"
expect_exit 2 "$CLARA_STREAM" load "$WORK/long.jsonl" --max-line-bytes 10
pass "--max-line-bytes: a longer line is reported with its number and skipped"

# 4. A loader killed with SIGKILL during its upsert: its backend must notice
#    (client_connection_check_interval) instead of running the statement to
#    its end. A trigger of this test database makes each new row take 20 ms:
#    3,000 rows keep the INSERT busy for a minute.
sql -c "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END \$\$"
sql -c "CREATE TRIGGER slow_row BEFORE INSERT ON clara_documents FOR EACH ROW EXECUTE FUNCTION slow_row()"
"$CLARA_STREAM" generate --docs 3000 --seed 5 --output "$WORK/slow.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/slow.jsonl" --quiet --dsn "application_name=clara_kill_test" 2>/dev/null &
loader=$!
busy=""
for _ in $(seq 1 300); do
    busy=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara_kill_test' AND state = 'active' AND query LIKE 'WITH inserted%'")
    [ "$busy" = 1 ] && break
    sleep 0.1
done
[ "$busy" = 1 ] || { kill -9 "$loader" 2>/dev/null; fail "the loader's INSERT never showed in pg_stat_activity"; }
sleep 1
kill -9 "$loader"
wait "$loader" 2>/dev/null || true
killed=$(date +%s)
left=1
while [ $(($(date +%s) - killed)) -lt 30 ]; do
    left=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara_kill_test'")
    [ "$left" = 0 ] && break
    sleep 0.1
done
seconds=$(($(date +%s) - killed))
# The INSERT had ~58 s of work left (before: the backend ran it to the end);
# the check interval is 1 s.
[ "$left" = 0 ] || fail "the killed loader's backend was still running after $seconds s"
[ "$seconds" -le 15 ] || fail "the killed loader's backend ran $seconds s longer"
n=$(sql -c "SELECT count(*) FROM clara_documents WHERE document_id LIKE 'doc-%'")
[ "$n" -eq 0 ] || fail "the killed load left $n documents"
pass "kill -9 during the upsert: the backend ended within ${seconds} s, nothing loaded"
