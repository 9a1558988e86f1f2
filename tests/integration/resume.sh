#!/usr/bin/env bash
# --output-dir DIR --resume: an export killed (SIGKILL) after its first
# shards leaves DIR.partial with a resume state; --resume verifies the
# completed shards against the regenerated lines, keeps their files, writes
# the rest, and leaves a directory byte for byte equal to an uninterrupted
# export's (the manifest fields naming the runs excepted). It refuses, and
# leaves DIR.partial as it was, when there is nothing to resume, when the
# arguments differ, when the corpus changed, and when the regenerated lines
# of a completed shard differ (a change the fingerprint does not see).
set -euo pipefail
TEST=resume
source "$(dirname "$0")/lib/client.bash"
command -v zstd >/dev/null || fail "zstd is not installed (tools/install-deps.sh)"
command -v flock >/dev/null || fail "flock is not installed (util-linux)"

new_database
"$CLARA_STREAM" generate --docs 3000 --seed 5 --output "$WORK/corpus.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/corpus.jsonl" --quiet
# Small shards: about a hundred of them, so a kill lands between shards.
args=(--query "Genehmigung Bescheid Verwaltungsrecht" --top-k 3000 --min-quality 0
      --split validation=0.1,test=0.05 --split-seed 7 --compression zstd --shard-size 64KB)

# A listing of every file under a directory with its sha256 and inode:
# "untouched" means this listing is unchanged.
listing() { (cd "$1" && find . -type f -printf '%p %i ' -exec sha256sum {} \; | sort); }
completed_shards() { "$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["shards"]))' "$1/resume.json"; }

# 1. The uninterrupted export, and one killed after 10 completed shards.
"$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/full" --quiet
full_shards=$(cd "$WORK/full" && ls | grep -c '\.jsonl\.zst$')
[ "$full_shards" -gt 30 ] || fail "only $full_shards shards: too few to kill an export between them"

out="$WORK/ds"
"$CLARA_STREAM" "${args[@]}" --output-dir "$out" --quiet &
pid=$!
done_shards=0
for _ in $(seq 3000); do
    if [ -s "$out.partial/resume.json" ]; then
        done_shards=$(completed_shards "$out.partial" 2>/dev/null || echo 0)
        [ "$done_shards" -ge 10 ] && break
    fi
    sleep 0.01
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ ! -e "$out" ] || fail "the export finished before it was killed (smaller --shard-size needed)"
[ -d "$out.partial" ] || fail "a killed export left no $out.partial"
done_shards=$(completed_shards "$out.partial")
[ "$done_shards" -ge 10 ] && [ "$done_shards" -lt "$full_shards" ] ||
    fail "killed with $done_shards of $full_shards shards recorded"
# Copies of the interrupted state for the refusals below (the state names
# no directory: DIR.partial can be moved).
cp -a "$out.partial" "$WORK/changed.partial"
cp -a "$out.partial" "$WORK/edited.partial"
pass "an export killed (SIGKILL) after $done_shards of $full_shards shards leaves DIR.partial with its resume state"

# 2. Refusals that leave DIR.partial as it was: other arguments (named),
#    a DIR.partial another export holds, no DIR.partial, --resume without --output-dir.
before=$(listing "$out.partial")
expect_exit 8 "$CLARA_STREAM" "${args[@]/3000/2999}" --output-dir "$out" --resume
stderr_has "the arguments differ from the interrupted export's"
stderr_has "query.top_k: 3000 before, 2999 now"
expect_exit 8 "$CLARA_STREAM" "${args[@]/zstd/gzip}" --output-dir "$out" --resume
stderr_has "compression: \"zstd\" before, \"gzip\" now"
flock "$out.partial" "$CLARA_STREAM" "${args[@]}" --output-dir "$out" --resume >"$WORK/stdout" 2>"$WORK/stderr" &&
    fail "--resume wrote into a DIR.partial another process holds" || code=$?
[ "$code" -eq 8 ] || fail "a locked DIR.partial: exit $code (stderr: $(head -c 300 "$WORK/stderr"))"
stderr_has "is being written by another export"
after=$(listing "$out.partial")
[ "$before" = "$after" ] || fail "a refused --resume changed $out.partial"
expect_exit 8 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/never" --resume
stderr_has "never.partial does not exist"
[ ! -e "$WORK/never" ] && [ ! -e "$WORK/never.partial" ] || fail "a refused --resume created a directory"
expect_exit 8 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/full" --resume
stderr_has "is complete"
expect_exit 2 "$CLARA_STREAM" --query Genehmigung --output "$WORK/x.jsonl" --resume
stderr_has "--resume continues an --output-dir export"
# A fresh export to the same DIR points at --resume.
expect_exit 6 "$CLARA_STREAM" "${args[@]}" --output-dir "$out"
stderr_has "continue it with --resume"
after=$(listing "$out.partial")
[ "$before" = "$after" ] || fail "a refused export changed $out.partial"
pass "other arguments (named), a locked DIR.partial, none at all, a complete DIR: refused (exit 8), DIR.partial untouched"

# 3. The resume: the completed shards are verified and kept (same inode),
#    the rest written; the directory equals the uninterrupted export's.
first=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"][0]["name"])' "$out.partial/resume.json")
first_inode=$(stat -c %i "$out.partial/$first")
"$CLARA_STREAM" "${args[@]}" --output-dir "$out" --resume 2>"$WORK/resume.err" ||
    fail "--resume failed: $(cat "$WORK/resume.err")"
grep -qF "resuming $out.partial" "$WORK/resume.err" || fail "no resume note: $(cat "$WORK/resume.err")"
grep -qF "verified $done_shards shards written before" "$WORK/resume.err" ||
    fail "no verification note: $(cat "$WORK/resume.err")"
[ ! -e "$out.partial" ] || fail "$out.partial left after the resume"
[ ! -e "$out/resume.json" ] && [ ! -e "$WORK/full/resume.json" ] || fail "resume.json left in a finished directory"
kept=$(ls "$out" | grep -F "${first%.jsonl.zst}-of-")
kept_inode=$(stat -c %i "$out/$kept")
[ "$kept_inode" = "$first_inode" ] || fail "$first was rewritten (inode $first_inode, now $kept_inode)"
full_files=$(cd "$WORK/full" && ls | tr '\n' ' ')
resumed_files=$(cd "$out" && ls | tr '\n' ' ')
[ "$full_files" = "$resumed_files" ] || fail "files differ: $resumed_files"
for f in $(cd "$WORK/full" && ls); do
    [ "$f" = manifest.json ] && continue
    cmp -s "$WORK/full/$f" "$out/$f" || fail "$f differs from the uninterrupted export's"
done
"$PYTHON" - "$WORK/full/manifest.json" "$out/manifest.json" "$WORK/full" "$out" "$done_shards" "$full_shards" <<'PY' ||
import json, sys
full, resumed = (json.load(open(p)) for p in sys.argv[1:3])
full_dir, out, done, total = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
# The fields that name a run (its time, snapshot and WAL position) differ;
# the command differs by the directory's name; "resumed" lists the runs.
runs = resumed.pop("resumed")["runs"]
assert [r["shards_verified"] for r in runs] == [0, done], runs
assert [r["shards_written"] for r in runs] == [done, total - done], runs
assert runs[1]["snapshot"] == resumed["database"]["snapshot"], runs
assert all(r["snapshot"] and r["lsn"] and r["created_at"] for r in runs), runs
for m in (full, resumed):
    for key in ("snapshot", "lsn"):
        m["database"].pop(key)
    m.pop("created_at")
    m["command"] = [out if a == full_dir else a for a in m["command"]]
assert "--resume" not in resumed["command"], resumed["command"]
assert full == resumed, json.dumps([full, resumed])[:2000]
PY
    fail "the resumed manifest differs from the uninterrupted export's beyond created_at, snapshot, lsn, resumed"
pass "--resume verified $done_shards shards (kept, same inode) and wrote $((full_shards - done_shards)): every file equals the uninterrupted export's, manifest but for created_at/snapshot/lsn/resumed"

# 4. The regenerated lines of a completed shard differ, but the fingerprint
#    does not see it (a metadata-only edit keeping quality_score): the
#    sha256 check refuses.
zstd -q -dc "$WORK/full/$kept" >"$WORK/kept.jsonl"
# A document of that shard with an aktenzeichen that reads otherwise reversed.
doc=$("$PYTHON" - "$WORK/kept.jsonl" <<'PY'
import json, sys
for raw in open(sys.argv[1]):
    line = json.loads(raw)
    value = line["metadata"].get("aktenzeichen")
    if isinstance(value, str) and value != value[::-1]:
        print(line["document_id"])
        break
PY
)
[ -n "$doc" ] || fail "no line of $kept has an aktenzeichen to reverse"
quality_before=$(sql -c "SELECT quality_score FROM clara_documents WHERE document_id = '$doc'")
# The same number of bytes (a value reversed): only the sha256 can tell.
edited=$(sql -c "UPDATE clara_documents SET metadata = jsonb_set(metadata, '{aktenzeichen}',
    to_jsonb(reverse(metadata->>'aktenzeichen'))) WHERE document_id = '$doc'
    AND metadata->>'aktenzeichen' <> reverse(metadata->>'aktenzeichen') RETURNING document_id")
[ "$edited" = "$doc" ] || fail "$doc has no aktenzeichen to reverse"
quality_after=$(sql -c "SELECT quality_score FROM clara_documents WHERE document_id = '$doc'")
[ "$quality_before" = "$quality_after" ] || fail "the metadata edit changed quality_score; pick another edit"
expect_exit 8 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/edited" --resume
stderr_has "the regenerated lines of $first differ from those written before"
[ -d "$WORK/edited.partial" ] && [ ! -e "$WORK/edited" ] || fail "a refused resume removed or finished the directory"
[ -s "$WORK/edited.partial/$first" ] || fail "a refused resume removed the completed shard $first"
pass "a same-length metadata edit in a completed shard: the fingerprint passes, the sha256 check refuses (exit 8)"

# 5. The corpus changed (a document added): refused before anything is read, DIR.partial untouched.
before=$(listing "$WORK/changed.partial")
sql -c "INSERT INTO clara_documents (document_id, title, content) VALUES ('resume-new', 'Genehmigung', 'Ein neuer Bescheid zur Genehmigung im Verwaltungsrecht.')"
expect_exit 8 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/changed" --resume
stderr_has "the corpus changed since the interrupted export began"
stderr_has "documents then,"
after=$(listing "$WORK/changed.partial")
[ "$before" = "$after" ] || fail "a resume refused for a changed corpus changed DIR.partial"
pass "a changed corpus: refused (exit 8) with DIR.partial untouched"
