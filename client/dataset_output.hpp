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
// text; manifest.json and README.md written by commit().
class DatasetDirectory {
public:
    DatasetDirectory(const std::string &dir, Compression c, uint64_t shard_bytes);
    ~DatasetDirectory();  // removes DIR.partial unless committed
    DatasetDirectory(const DatasetDirectory &) = delete;
    DatasetDirectory &operator=(const DatasetDirectory &) = delete;

    void add(const char *line, size_t size);
    // Closes the shards, writes manifest.json (header + the files, rows,
    // documents and tokens per split) and README.md, renames DIR.partial to DIR.
    void commit(nlohmann::json manifest, const std::string &title);
    const std::string &name() const { return dir_; }

private:
    struct Shard {
        std::string name;  // without "-of-MMMMM" until commit
        uint64_t rows = 0, bytes = 0, file_bytes = 0;
        std::string sha256;
    };
    struct Split {
        std::vector<Shard> shards;
        std::unique_ptr<OutputFile> file;
        std::unique_ptr<Encoder> encoder;
        uint64_t rows = 0, documents = 0, tokens = 0;
        bool has_tokens = false;
    };
    void open_shard(Split &s, const std::string &split);
    void close_shard(Split &s);

    std::string dir_, partial_;
    Compression compression_;
    uint64_t shard_bytes_;
    std::map<std::string, Split> splits_;
    bool committed_ = false;
};

}  // namespace clara::cli
