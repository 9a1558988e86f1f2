#!/usr/bin/env bash
# Files a trainer opens as they are: --output FILE.jsonl.gz / .jsonl.zst is
# really compressed (and other compressed names are refused); --output-dir
# writes shards per split in Hugging Face's naming, each split's shards in
# rank order adding up to the plain export's lines of that split, with a
# manifest.json (SHA-256 of every file, counts, the database snapshot and
# LSN, the arguments) and a dataset card whose configs name the splits.
set -euo pipefail
TEST=dataset_dir
source "$(dirname "$0")/lib/client.bash"
for tool in zstd gzip sha256sum; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (tools/install-deps.sh)"
done

new_database
"$CLARA_STREAM" generate --docs 3000 --seed 5 --output "$WORK/corpus.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/corpus.jsonl" --quiet
args=(--query "Genehmigung Bescheid Verwaltungsrecht" --top-k 3000 --min-quality 0
      --split validation=0.1,test=0.05 --split-seed 7)

# 1. Compression by the file's name: the bytes decompress to the plain export.
"$CLARA_STREAM" "${args[@]}" --output "$WORK/plain.jsonl" --quiet
[ "$(lines "$WORK/plain.jsonl")" -gt 1000 ] || fail "the plain export is too small to shard"
"$CLARA_STREAM" "${args[@]}" --output "$WORK/set.jsonl.gz" --quiet
"$CLARA_STREAM" "${args[@]}" --output "$WORK/set.jsonl.zst" --quiet
gzip -t "$WORK/set.jsonl.gz" || fail ".gz output is not gzip"
zstd -q -t "$WORK/set.jsonl.zst" || fail ".zst output is not zstd"
gzip -dc "$WORK/set.jsonl.gz" >"$WORK/from-gz.jsonl"
zstd -q -dc "$WORK/set.jsonl.zst" >"$WORK/from-zst.jsonl"
cmp -s "$WORK/plain.jsonl" "$WORK/from-gz.jsonl" || fail ".gz decompresses to other lines than the plain export"
cmp -s "$WORK/plain.jsonl" "$WORK/from-zst.jsonl" || fail ".zst decompresses to other lines than the plain export"
plain_size=$(wc -c <"$WORK/plain.jsonl")
zst_size=$(wc -c <"$WORK/set.jsonl.zst")
[ "$zst_size" -lt $((plain_size / 3)) ] || fail ".zst is $zst_size bytes for $plain_size of text: not compressed"
expect_exit 2 "$CLARA_STREAM" "${args[@]}" --output "$WORK/set.jsonl.bz2"
stderr_has "not .bz2"
[ ! -e "$WORK/set.jsonl.bz2" ] && [ ! -e "$WORK/set.jsonl.bz2.partial" ] || fail "a refused .bz2 left a file"
pass ".jsonl.gz and .jsonl.zst decompress to the plain export ($plain_size bytes -> $zst_size zst); .bz2 refused"

# 2. A dataset directory: shards of at most 1 MB of text per split.
out="$WORK/dataset"
"$CLARA_STREAM" "${args[@]}" --output-dir "$out" --compression zstd --shard-size 1MB --quiet
[ ! -e "$out.partial" ] || fail "$out.partial left behind"
"$PYTHON" - "$out" "$WORK/plain.jsonl" <<'PY' || fail "the dataset directory does not match the plain export"
import hashlib, json, os, re, subprocess, sys
out, plain = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(out, "manifest.json")))
names = sorted(os.listdir(out))
shards = [n for n in names if n not in ("manifest.json", "README.md")]
assert names.count("README.md") == 1, names
pattern = re.compile(r"^(train|validation|test)-(\d{5})-of-(\d{5})\.jsonl\.zst$")
by_split = {}
for n in shards:
    m = pattern.match(n)
    assert m, f"shard name {n}"
    by_split.setdefault(m.group(1), []).append((int(m.group(2)), int(m.group(3)), n))
assert sorted(by_split) == ["test", "train", "validation"], by_split.keys()
assert len(by_split["train"]) >= 2, "train should need several 1 MB shards"
# The plain export's lines, per split, in rank order.
want = {}
for raw in open(plain, "rb"):
    want.setdefault(json.loads(raw)["metadata"]["split"], []).append(raw)
files = {f["path"]: f for f in manifest["files"]}
assert sorted(files) == sorted(shards), (sorted(files), shards)
for split, parts in by_split.items():
    parts.sort()
    assert [p[0] for p in parts] == list(range(len(parts))) and {p[1] for p in parts} == {len(parts)}, parts
    got = []
    for _, _, n in parts:
        data = open(os.path.join(out, n), "rb").read()
        entry = files[n]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{n}: sha256"
        assert len(data) == entry["bytes"] and entry["split"] == split, entry
        text = subprocess.run(["zstd", "-q", "-dc"], input=data, capture_output=True, check=True).stdout
        lines = text.splitlines(keepends=True)
        assert len(lines) == entry["rows"] and len(text) == entry["text_bytes"], entry
        assert len(text) <= 1 << 20 or len(lines) == 1, f"{n}: {len(text)} bytes of text"
        got += lines
    assert got == want[split], f"{split}: {len(got)} lines, the plain export has {len(want[split])}"
    s = manifest["splits"][split]
    assert s["rows"] == len(got) == s["documents"] and s["tokens"] is None, s
    assert s["files"] == [p[2] for p in parts], s
db = manifest["database"]
assert re.match(r"^\d+:\d+:", db["snapshot"]) and re.match(r"^[0-9A-F]+/[0-9A-F]+$", db["lsn"]), db
assert db["extension_version"] and db["database"], db
q = manifest["query"]
assert q["query"] == "Genehmigung Bescheid Verwaltungsrecht" and q["top_k"] == 3000 and q["min_quality"] == 0, q
t = manifest["training"]
assert t["split"] == "validation=0.1,test=0.05" and t["split_seed"] == 7 and t["format"] == "raw", t
assert manifest["compression"] == "zstd" and manifest["shard_size"] == 1 << 20, manifest
card = open(os.path.join(out, "README.md")).read()
header = card.split("---")[1]
for split in ("train", "validation", "test"):
    assert f'- split: {split}\n    path: "{split}-*.jsonl.zst"' in header, header
print(sum(len(v) for v in by_split.values()), "shards")
PY
pass "--output-dir: shards per split in rank order equal the plain export, manifest sha256/counts/snapshot, dataset card"

# 3. Uncompressed shards and the refusals: a directory that is not empty,
#    a DIR.partial that is taken, --compression without --output-dir.
"$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/plain-dir" --quiet
n=$(cat "$WORK/plain-dir"/train-*.jsonl "$WORK/plain-dir"/validation-*.jsonl "$WORK/plain-dir"/test-*.jsonl | wc -l)
[ "$n" -eq "$(lines "$WORK/plain.jsonl")" ] || fail "uncompressed shards: $n lines"
expect_exit 6 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/plain-dir"
stderr_has "is not empty"
mkdir "$WORK/busy.partial"
expect_exit 6 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/busy"
stderr_has "busy.partial already exists"
expect_exit 2 "$CLARA_STREAM" "${args[@]}" --output "$WORK/x.jsonl" --compression zstd
expect_exit 2 "$CLARA_STREAM" "${args[@]}" --output "$WORK/x.jsonl" --output-dir "$WORK/y"
expect_exit 2 "$CLARA_STREAM" "${args[@]}" --output-dir "$WORK/y" --compression lz4
[ ! -e "$WORK/y" ] && [ ! -e "$WORK/y.partial" ] || fail "a refused export created $WORK/y"
# Nothing matches: one empty train shard, so a loader finds a 0-row split.
"$CLARA_STREAM" --query Genehmigung --domain keine-solche-domain --output-dir "$WORK/empty" --quiet
files=$(cd "$WORK/empty" && ls | tr '\n' ' ')
[ "$files" = "README.md manifest.json train-00000-of-00001.jsonl " ] || fail "empty result: files '$files'"
[ ! -s "$WORK/empty/train-00000-of-00001.jsonl" ] || fail "empty result: the shard is not empty"
# A server error: nothing is left, neither DIR nor DIR.partial.
expect_exit 5 "$CLARA_STREAM" --query Genehmigung --filter colour=blue --output-dir "$WORK/failed"
[ ! -e "$WORK/failed" ] && [ ! -e "$WORK/failed.partial" ] || fail "a failed export left $(ls -d "$WORK"/failed*)"
pass "plain shards; an empty result is one empty train shard; non-empty DIR, taken DIR.partial, misplaced --compression refused; a failed export leaves nothing"
