#include "dataset_output.hpp"

#include "core/line_facts.hpp"
#include "exit_code.hpp"

#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clara::cli {

namespace {

bool ends_with(const std::string &s, const char *suffix) {
    size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

constexpr size_t kOutChunk = 256 << 10;

}  // namespace

Compression compression_for(const std::string &path) {
    if (ends_with(path, ".gz")) return Compression::gzip;
    if (ends_with(path, ".zst")) return Compression::zstd;
    for (const char *other : {".bz2", ".xz", ".lz4", ".lzma", ".zip", ".7z", ".br", ".Z", ".tgz"})
        if (ends_with(path, other))
            throw Failure(ExitCode::usage, "--output " + path + ": Clara writes plain, .gz or .zst files, not " +
                                               other + " (name the file .jsonl, .jsonl.gz or .jsonl.zst)");
    return Compression::none;
}

const char *compression_name(Compression c) {
    switch (c) {
        case Compression::gzip: return "gzip";
        case Compression::zstd: return "zstd";
        default: return "none";
    }
}

Compression compression_named(const std::string &name) {
    if (name == "none") return Compression::none;
    if (name == "gzip" || name == "gz") return Compression::gzip;
    if (name == "zstd" || name == "zst") return Compression::zstd;
    throw Failure(ExitCode::usage, "--compression must be none, gzip or zstd, not \"" + name + "\"");
}

const char *compression_suffix(Compression c) {
    switch (c) {
        case Compression::gzip: return ".gz";
        case Compression::zstd: return ".zst";
        default: return "";
    }
}

struct Encoder::State {
    Compression compression;
    z_stream z{};
    ZSTD_CCtx *zstd = nullptr;
    EVP_MD_CTX *sha = nullptr;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    bool finished = false;
    std::string out;
};

Encoder::Encoder(Compression c, std::function<void(const char *, size_t)> sink)
    : state_(std::make_unique<State>()), sink_(std::move(sink)) {
    State &s = *state_;
    s.compression = c;
    s.out.resize(kOutChunk);
    s.sha = EVP_MD_CTX_new();
    if (s.sha == nullptr || EVP_DigestInit_ex(s.sha, EVP_sha256(), nullptr) != 1)
        throw Failure(ExitCode::internal, "cannot start a SHA-256 digest");
    if (c == Compression::gzip) {
        // windowBits 15 + 16: a gzip header and trailer, what gunzip and
        // Python's gzip module read.
        if (deflateInit2(&s.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw Failure(ExitCode::internal, "cannot start gzip compression");
    } else if (c == Compression::zstd) {
        s.zstd = ZSTD_createCCtx();
        if (s.zstd == nullptr || ZSTD_isError(ZSTD_CCtx_setParameter(s.zstd, ZSTD_c_compressionLevel, 3)))
            throw Failure(ExitCode::internal, "cannot start zstd compression");
    }
}

Encoder::~Encoder() {
    State &s = *state_;
    if (s.compression == Compression::gzip) deflateEnd(&s.z);
    if (s.zstd != nullptr) ZSTD_freeCCtx(s.zstd);
    if (s.sha != nullptr) EVP_MD_CTX_free(s.sha);
}

void Encoder::emit(const char *data, size_t size) {
    if (size == 0) return;
    EVP_DigestUpdate(state_->sha, data, size);
    bytes_out_ += size;
    sink_(data, size);
}

void Encoder::write(const char *data, size_t size) {
    State &s = *state_;
    if (s.finished) throw Failure(ExitCode::internal, "Encoder::write after finish");
    switch (s.compression) {
        case Compression::none: emit(data, size); return;
        case Compression::gzip:
            s.z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
            s.z.avail_in = static_cast<uInt>(size);
            while (s.z.avail_in > 0) {
                s.z.next_out = reinterpret_cast<Bytef *>(s.out.data());
                s.z.avail_out = static_cast<uInt>(s.out.size());
                if (deflate(&s.z, Z_NO_FLUSH) == Z_STREAM_ERROR) throw Failure(ExitCode::internal, "gzip failed");
                emit(s.out.data(), s.out.size() - s.z.avail_out);
            }
            return;
        case Compression::zstd: {
            ZSTD_inBuffer in{data, size, 0};
            while (in.pos < in.size) {
                ZSTD_outBuffer out{s.out.data(), s.out.size(), 0};
                size_t r = ZSTD_compressStream2(s.zstd, &out, &in, ZSTD_e_continue);
                if (ZSTD_isError(r)) throw Failure(ExitCode::internal, std::string("zstd: ") + ZSTD_getErrorName(r));
                emit(s.out.data(), out.pos);
            }
            return;
        }
    }
}

void Encoder::finish() {
    State &s = *state_;
    if (s.finished) return;
    if (s.compression == Compression::gzip) {
        int r;
        do {
            s.z.next_in = nullptr;
            s.z.avail_in = 0;
            s.z.next_out = reinterpret_cast<Bytef *>(s.out.data());
            s.z.avail_out = static_cast<uInt>(s.out.size());
            r = deflate(&s.z, Z_FINISH);
            if (r == Z_STREAM_ERROR) throw Failure(ExitCode::internal, "gzip failed");
            emit(s.out.data(), s.out.size() - s.z.avail_out);
        } while (r != Z_STREAM_END);
    } else if (s.compression == Compression::zstd) {
        size_t left;
        do {
            ZSTD_inBuffer in{nullptr, 0, 0};
            ZSTD_outBuffer out{s.out.data(), s.out.size(), 0};
            left = ZSTD_compressStream2(s.zstd, &out, &in, ZSTD_e_end);
            if (ZSTD_isError(left)) throw Failure(ExitCode::internal, std::string("zstd: ") + ZSTD_getErrorName(left));
            emit(s.out.data(), out.pos);
        } while (left != 0);
    }
    EVP_DigestFinal_ex(s.sha, s.digest, &s.digest_len);
    s.finished = true;
}

std::string Encoder::sha256_hex() const {
    static const char *hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < state_->digest_len; i++) {
        out.push_back(hex[state_->digest[i] >> 4]);
        out.push_back(hex[state_->digest[i] & 15]);
    }
    return out;
}

EncodedOutput::EncodedOutput(const std::string &path)
    : file_(path), encoder_(path == "-" ? Compression::none : compression_for(path), [this](const char *d, size_t n) {
          file_.write(d, n);
      }) {}

void EncodedOutput::commit() {
    encoder_.finish();
    file_.commit();
}

DatasetDirectory::DatasetDirectory(const std::string &dir, Compression c, uint64_t shard_bytes)
    : dir_(dir), compression_(c), shard_bytes_(shard_bytes) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
    struct stat st;
    if (stat(dir_.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            throw Failure(ExitCode::io, "--output-dir " + dir_ + " exists and is not a directory");
        std::error_code ec;
        if (!std::filesystem::is_empty(dir_, ec))
            throw Failure(ExitCode::io, "--output-dir " + dir_ +
                                            " is not empty (a dataset directory is written whole; choose a new one)");
    }
    std::filesystem::path parent = std::filesystem::path(dir_).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) throw Failure(ExitCode::io, "cannot create directory " + parent.string() + ": " + ec.message());
    }
    partial_ = dir_ + ".partial";
    if (mkdir(partial_.c_str(), 0777) != 0) {
        if (errno == EEXIST)
            throw Failure(ExitCode::io, partial_ + " already exists: another export to " + dir_ +
                                            " is running, or one was killed before it finished (continue it "
                                            "with --resume, or remove it)");
        throw Failure(ExitCode::io, "cannot create " + partial_ + ": " + std::strerror(errno));
    }
    try {
        lock();
    } catch (...) {
        rmdir(partial_.c_str());
        throw;
    }
}

DatasetDirectory::DatasetDirectory(const std::string &dir, Compression c, uint64_t shard_bytes, Resume)
    : dir_(dir), compression_(c), shard_bytes_(shard_bytes), resumed_(true) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
    partial_ = dir_ + ".partial";
    struct stat st;
    if (stat(partial_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::error_code ec;
        if (std::filesystem::exists(dir_ + "/manifest.json", ec))
            throw Failure(ExitCode::resume_refused,
                          "--resume: " + dir_ + " is complete (it has its manifest.json): nothing to resume");
        throw Failure(ExitCode::resume_refused, "--resume: " + partial_ + " does not exist: no interrupted export to " +
                                                    dir_ + " to continue (export without --resume)");
    }
    lock();
    state_ = read_resume_state(partial_);
    // The shards are kept as they are: each must still be the file that was written.
    for (const ShardRecord &r : state_.shards) {
        const std::string path = partial_ + "/" + r.name;
        int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            throw Failure(ExitCode::resume_refused, "--resume: the completed shard " + path + " is missing (" +
                                                        std::strerror(errno) + "); remove " + partial_ +
                                                        " and export again");
        Encoder hash(Compression::none, [](const char *, size_t) {});
        std::string buffer(kOutChunk, '\0');
        ssize_t n;
        while ((n = read(fd, buffer.data(), buffer.size())) > 0) hash.write(buffer.data(), static_cast<size_t>(n));
        int err = errno;
        close(fd);
        if (n < 0) throw Failure(ExitCode::io, "cannot read " + path + ": " + std::strerror(err));
        hash.finish();
        if (hash.bytes_out() != r.bytes || hash.sha256_hex() != r.sha256)
            throw Failure(ExitCode::resume_refused, "--resume: " + path +
                                                        " is not the shard that was written (its size or sha256 "
                                                        "changed since); remove " +
                                                        partial_ + " and export again");
    }
}

DatasetDirectory::~DatasetDirectory() {
    if (!committed_) {
        for (auto &[name, s] : splits_) {
            s.encoder.reset();
            s.file.reset();  // removes its .partial
        }
        // A resumed export keeps what it was asked to continue, and what it added.
        if (!resumed_ && lock_fd_ >= 0) {
            std::error_code ec;
            std::filesystem::remove_all(partial_, ec);
        }
    }
    if (lock_fd_ >= 0) close(lock_fd_);
}

void DatasetDirectory::lock() {
    // flock, not a lock file: the kernel drops it when the export dies,
    // however it dies, and a resume can then take it.
    lock_fd_ = open(partial_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock_fd_ < 0) throw Failure(ExitCode::io, "cannot open " + partial_ + ": " + std::strerror(errno));
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(lock_fd_);
        lock_fd_ = -1;
        if (err == EWOULDBLOCK)
            throw Failure(resumed_ ? ExitCode::resume_refused : ExitCode::io,
                          (resumed_ ? "--resume: " : "") + partial_ + " is being written by another export to " + dir_ +
                              " right now");
        throw Failure(ExitCode::io, "cannot lock " + partial_ + ": " + std::strerror(err));
    }
}

void DatasetDirectory::begin(ResumeState state) {
    state_ = std::move(state);
    if (resumed_) {
        // Everything but the recorded shards goes: the shard that was being
        // written (.partial), one completed after the state's last write.
        std::set<std::string> keep{kResumeStateName};
        for (const ShardRecord &r : state_.shards) keep.insert(r.name);
        std::error_code ec;
        for (const auto &entry : std::filesystem::directory_iterator(partial_, ec)) {
            const std::string name = entry.path().filename().string();
            if (keep.count(name) != 0) continue;
            std::error_code rm;
            std::filesystem::remove_all(entry.path(), rm);
            if (rm) throw Failure(ExitCode::io, "cannot remove " + entry.path().string() + ": " + rm.message());
        }
        if (ec) throw Failure(ExitCode::io, "cannot list " + partial_ + ": " + ec.message());
        recorded_shards_ = state_.shards;
        recorded_ = recorded_shards_.size();
        for (const ShardRecord &r : recorded_shards_) splits_[r.split].recorded.push_back(&r);
    }
    write_resume_state(partial_, state_);
}

void DatasetDirectory::close_shard(Split &s) {
    if (!s.encoder) return;
    s.encoder->finish();
    Shard &shard = s.shards.back();
    if (shard.expected != nullptr) {
        // A shard written before: its regenerated lines must be the same bytes.
        const ShardRecord &r = *shard.expected;
        const std::string text_sha256 = s.encoder->sha256_hex();
        s.encoder.reset();
        if (shard.rows != r.rows || shard.bytes != r.text_bytes || text_sha256 != r.text_sha256)
            throw Failure(
                ExitCode::resume_refused,
                "--resume: the regenerated lines of " + r.name + " differ from those written before (" +
                    (shard.rows != r.rows || shard.bytes != r.text_bytes
                         ? std::to_string(shard.rows) + " lines of " + std::to_string(shard.bytes) + " bytes now, " +
                               std::to_string(r.rows) + " of " + std::to_string(r.text_bytes) + " then"
                         : std::string("as many lines and bytes, another sha256")) +
                    "): the ranking changed since the interrupted export; remove " + partial_ + " and export again");
        shard.file_bytes = r.bytes;
        shard.sha256 = r.sha256;
        verified_rows_ += r.rows;
        if (++verified_ == recorded_ && on_verified_) on_verified_(verified_, verified_rows_);
        return;
    }
    s.file->commit();
    shard.file_bytes = s.encoder->bytes_out();
    shard.sha256 = s.encoder->sha256_hex();
    std::string text_sha256 = shard.sha256;
    if (s.text_hash) {
        s.text_hash->finish();
        text_sha256 = s.text_hash->sha256_hex();
    }
    s.encoder.reset();
    s.text_hash.reset();
    s.file.reset();
    // The file is durable (fsync, rename, directory fsync): now the state may name it.
    const std::string split = shard.name.substr(0, shard.name.rfind('-'));
    state_.shards.push_back({split, shard.name, shard.rows, shard.bytes, shard.file_bytes, shard.sha256, text_sha256});
    ++written_;
    if (!state_.runs.empty()) {
        state_.runs.back()["shards_verified"] = verified_;
        state_.runs.back()["shards_written"] = written_;
    }
    write_resume_state(partial_, state_);
}

void DatasetDirectory::open_shard(Split &s, const std::string &split) {
    char name[64];
    std::snprintf(name, sizeof name, "-%05zu.jsonl", s.shards.size());
    Shard shard;
    shard.name = split + name + compression_suffix(compression_);
    if (s.shards.size() < s.recorded.size()) {
        // Recorded: hash the lines (the Encoder's digest of uncompressed bytes), write nothing.
        shard.expected = s.recorded[s.shards.size()];
        s.shards.push_back(shard);
        s.encoder = std::make_unique<Encoder>(Compression::none, [](const char *, size_t) {});
        return;
    }
    s.shards.push_back(shard);
    s.file = std::make_unique<OutputFile>(partial_ + "/" + s.shards.back().name);
    OutputFile *file = s.file.get();
    s.encoder = std::make_unique<Encoder>(compression_, [file](const char *d, size_t n) { file->write(d, n); });
    if (compression_ != Compression::none)
        s.text_hash = std::make_unique<Encoder>(Compression::none, [](const char *, size_t) {});
}

void DatasetDirectory::add(const char *line, size_t size) {
    LineFacts facts;
    scan_line(std::string_view(line, size), facts);
    Split &s = splits_[facts.split];
    if (s.encoder && s.shards.back().bytes + size > shard_bytes_ && s.shards.back().rows > 0) close_shard(s);
    if (!s.encoder) open_shard(s, facts.split);
    s.encoder->write(line, size);
    if (s.text_hash) s.text_hash->write(line, size);
    Shard &shard = s.shards.back();
    shard.rows++;
    shard.bytes += size;
    s.rows++;
    if (!facts.chunk_index || *facts.chunk_index == 0) s.documents++;
    if (facts.token_count) {
        s.tokens += static_cast<uint64_t>(*facts.token_count);
        s.has_tokens = true;
    }
}

void DatasetDirectory::commit(nlohmann::json manifest, const std::string &title) {
    using nlohmann::json;
    // Nothing matched: an empty train shard, so loaders find a (0-row) split.
    if (splits_.empty()) open_shard(splits_["train"], "train");
    json splits = json::object(), files = json::array();
    std::string configs;
    for (auto &[name, s] : splits_) close_shard(s);
    if (verified_ != recorded_) {
        std::string missing;
        for (auto &[name, s] : splits_)
            for (size_t i = s.shards.size(); i < s.recorded.size(); i++) missing = s.recorded[i]->name;
        throw Failure(ExitCode::resume_refused, "--resume: the regenerated export ends before the lines of " + missing +
                                                    ", written before: the ranking changed since the "
                                                    "interrupted export; remove " +
                                                    partial_ + " and export again");
    }
    if (resumed_) {
        // How the export was made: each run's snapshot, what it verified and wrote.
        json runs = json::array();
        for (size_t i = 0; i < state_.runs.size(); i++) {
            const json &r = state_.runs[i], &db = r["database"];
            const bool last = i + 1 == state_.runs.size();
            runs.push_back({{"created_at", r["created_at"]},
                            {"snapshot", db.is_object() ? db.value("snapshot", "") : ""},
                            {"lsn", db.is_object() ? db.value("lsn", "") : ""},
                            {"shards_verified", last ? verified_ : r.value("shards_verified", size_t{0})},
                            {"shards_written", last ? written_ : r.value("shards_written", size_t{0})}});
        }
        manifest["resumed"] = {{"runs", runs}};
    }
    for (auto &[name, s] : splits_) {
        json split_files = json::array();
        for (size_t i = 0; i < s.shards.size(); i++) {
            Shard &shard = s.shards[i];
            char final_name[256];
            std::snprintf(final_name, sizeof final_name, "%s-%05zu-of-%05zu.jsonl%s", name.c_str(), i, s.shards.size(),
                          compression_suffix(compression_));
            std::string from = partial_ + "/" + shard.name, to = partial_ + "/" + final_name;
            if (rename(from.c_str(), to.c_str()) != 0)
                throw Failure(ExitCode::io, "cannot rename " + from + ": " + std::strerror(errno));
            files.push_back({{"path", final_name},
                             {"split", name},
                             {"rows", shard.rows},
                             {"text_bytes", shard.bytes},
                             {"bytes", shard.file_bytes},
                             {"sha256", shard.sha256}});
            split_files.push_back(final_name);
        }
        splits[name] = {{"rows", s.rows},
                        {"documents", s.documents},
                        {"tokens", s.has_tokens ? json(s.tokens) : json(nullptr)},
                        {"files", split_files}};
        configs += "  - split: " + name + "\n    path: \"" + name + "-*.jsonl" + compression_suffix(compression_) +
                   "\"\n";
    }
    manifest["compression"] = compression_name(compression_);
    manifest["shard_size"] = shard_bytes_;
    manifest["splits"] = splits;
    manifest["files"] = files;

    auto write_file = [&](const std::string &name, const std::string &text) {
        OutputFile f(partial_ + "/" + name);
        f.write(text.data(), text.size());
        f.commit();
    };
    write_file("manifest.json", manifest.dump(2, ' ', false, json::error_handler_t::replace) + "\n");

    // The dataset card: datasets.load_dataset(DIR) reads the splits from
    // the configs block.
    std::string card = "---\nconfigs:\n- config_name: default\n  data_files:\n" + configs + "---\n\n# " + title +
                       "\n\nExported by " + manifest.value("clara_version", std::string("clara-stream")) +
                       " from a PostgreSQL corpus; how it was made (query, weights, tokenizer, database snapshot"
                       " and LSN, SHA-256 of every file) is in `manifest.json`.\n\n| split | rows | documents | "
                       "tokens |\n|---|---|---|---|\n";
    for (auto &[name, s] : splits_)
        card += "| " + name + " | " + std::to_string(s.rows) + " | " + std::to_string(s.documents) + " | " +
                (s.has_tokens ? std::to_string(s.tokens) : std::string("-")) + " |\n";
    write_file("README.md", card);

    // The finished directory is what an uninterrupted export leaves: no resume state.
    const std::string state = partial_ + "/" + kResumeStateName;
    if (unlink(state.c_str()) != 0 && errno != ENOENT)
        throw Failure(ExitCode::io, "cannot remove " + state + ": " + std::strerror(errno));
    int fd = open(partial_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    // An empty DIR (allowed above) is replaced; rename never merges.
    struct stat st;
    if (stat(dir_.c_str(), &st) == 0 && rmdir(dir_.c_str()) != 0)
        throw Failure(ExitCode::io, "cannot replace the empty directory " + dir_ + ": " + std::strerror(errno));
    if (rename(partial_.c_str(), dir_.c_str()) != 0)
        throw Failure(ExitCode::io, "cannot rename " + partial_ + " to " + dir_ + ": " + std::strerror(errno));
    committed_ = true;
    std::filesystem::path parent = std::filesystem::path(dir_).parent_path();
    fd = open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

}  // namespace clara::cli
