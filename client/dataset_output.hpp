// Where an export's lines go, beyond one plain file:
//   --output FILE.jsonl.gz / FILE.jsonl.zst   compressed (zlib / libzstd), by extension;
//                                             other compressed extensions are refused
//   --output-dir DIR                          a dataset directory: shards per split in
//                                             Hugging Face's naming, a manifest.json
//                                             and a dataset card README.md
// Everything is written under a temporary name (FILE.partial, DIR.partial/)
// and renamed into place only once complete.
#pragma once

#include "output_file.hpp"
#include "resume_state.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace clara::cli {

enum class Compression { none, gzip, zstd };

// By file name: ".gz" gzip, ".zst" zstd, else none. Throws Failure(usage)
// for a compressed format Clara does not write (.bz2, .xz, .lz4, .zip, ...).
Compression compression_for(const std::string &path);
// "none" / "gzip" / "zstd" (the --compression values).
Compression compression_named(const std::string &name);
const char *compression_suffix(Compression c);  // "", ".gz", ".zst"
const char *compression_name(Compression c);    // "none", "gzip", "zstd" (the manifest's)

// Compresses what it is given and passes the result to sink; also the
// SHA-256 and size of the bytes passed on (the file's, not the text's).
class Encoder {
public:
    Encoder(Compression c, std::function<void(const char *, size_t)> sink);
    ~Encoder();
    Encoder(const Encoder &) = delete;
    Encoder &operator=(const Encoder &) = delete;

    void write(const char *data, size_t size);
    void finish();  // the compressed stream's end; no write after it

    uint64_t bytes_out() const { return bytes_out_; }
    std::string sha256_hex() const;  // after finish()

private:
    struct State;
    void emit(const char *data, size_t size);
    std::unique_ptr<State> state_;
    std::function<void(const char *, size_t)> sink_;
    uint64_t bytes_out_ = 0;
};

// One file, compressed by its extension: the plain export's output.
class EncodedOutput {
public:
    explicit EncodedOutput(const std::string &path);
    void write(const char *data, size_t size) { encoder_.write(data, size); }
    void commit();
    const std::string &name() const { return file_.name(); }

private:
    OutputFile file_;
    Encoder encoder_;
};

// --output-dir: lines routed by their metadata.split into
// <split>-NNNNN-of-MMMMM.jsonl[.gz|.zst], a new shard after shard_bytes of
// text; manifest.json and README.md written by commit(). DIR.partial is
// locked (flock) while an export writes it, and holds a resume state
// (resume_state.hpp) rewritten after each completed shard.
class DatasetDirectory {
public:
    // A new export: creates and locks DIR.partial.
    DatasetDirectory(const std::string &dir, Compression c, uint64_t shard_bytes);
    // --resume: locks the DIR.partial a killed export left, reads its state
    // and checks that each completed shard's file is still what was written.
    // Throws Failure(resume_refused) when there is nothing to resume.
    struct Resume {};
    DatasetDirectory(const std::string &dir, Compression c, uint64_t shard_bytes, Resume);
    // A new export removes DIR.partial unless committed; a resumed one keeps
    // it (and its completed shards) for the next --resume.
    ~DatasetDirectory();
    DatasetDirectory(const DatasetDirectory &) = delete;
    DatasetDirectory &operator=(const DatasetDirectory &) = delete;

    // The resume state: as read by the Resume constructor, then as begin()
    // and each completed shard left it.
    const ResumeState &state() const { return state_; }
    // Before the first line. A new export writes its state (state.shards
    // empty). A resumed one removes what is not a recorded shard (the
    // unfinished shard, a shard completed after the state's last write),
    // appends run to the state's runs, and from here checks that the
    // regenerated lines of each recorded shard hash to its text_sha256,
    // writing nothing, and writes from the first shard not recorded.
    void begin(ResumeState state);
    // Called once all recorded shards are verified (progress on stderr).
    void on_verified(std::function<void(size_t shards, uint64_t rows)> f) { on_verified_ = std::move(f); }

    void add(const char *line, size_t size);
    // Closes the shards, writes manifest.json (header + the files, rows,
    // documents and tokens per split) and README.md, renames DIR.partial to DIR.
    void commit(nlohmann::json manifest, const std::string &title);
    const std::string &name() const { return dir_; }
    const std::string &partial_name() const { return partial_; }
    size_t shards_verified() const { return verified_; }
    size_t shards_written() const { return written_; }

private:
    struct Shard {
        std::string name;  // without "-of-MMMMM" until commit
        uint64_t rows = 0, bytes = 0, file_bytes = 0;
        std::string sha256;
        const ShardRecord *expected = nullptr;  // a recorded shard: its lines are checked, not written
    };
    struct Split {
        std::vector<Shard> shards;
        std::unique_ptr<OutputFile> file;
        std::unique_ptr<Encoder> encoder;
        std::unique_ptr<Encoder> text_hash;         // the lines' SHA-256 when the file is compressed
        std::vector<const ShardRecord *> recorded;  // this split's shards in the state, in order
        uint64_t rows = 0, documents = 0, tokens = 0;
        bool has_tokens = false;
    };
    void lock();
    void open_shard(Split &s, const std::string &split);
    void close_shard(Split &s);

    std::string dir_, partial_;
    Compression compression_;
    uint64_t shard_bytes_;
    std::map<std::string, Split> splits_;
    ResumeState state_;
    std::vector<ShardRecord> recorded_shards_;  // begin()'s state.shards; Shard::expected points here
    int lock_fd_ = -1;
    bool resumed_ = false, committed_ = false;
    size_t recorded_ = 0, verified_ = 0, written_ = 0;
    std::function<void(size_t, uint64_t)> on_verified_;
    uint64_t verified_rows_ = 0;
};

}  // namespace clara::cli
