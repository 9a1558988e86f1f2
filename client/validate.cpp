#include "validate.hpp"

#include "core/line_schema.hpp"
#include "exit_code.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

namespace clara::cli {

namespace {

namespace fs = std::filesystem;

constexpr size_t kReadChunk = 256 << 10;
// A longer line is a finding, not a reason to hold gigabytes.
constexpr size_t kMaxLineBytes = size_t{1} << 30;

bool ends_with(const std::string &s, const char *suffix) {
    size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// One file of the dataset: where it is, the name messages use, and what
// its manifest says about it.
struct DatasetFile {
    fs::path path;
    std::string name;
    std::optional<std::string> sha256;
    std::optional<uint64_t> rows;
};

// Reads a file (plain, gzip or zstd by its name) as decompressed bytes,
// hashing the bytes as stored.
class Decoder {
public:
    explicit Decoder(const DatasetFile &f) : name_(f.name) {
        const std::string p = f.path.string();
        file_ = p == "-" ? stdin : std::fopen(p.c_str(), "rb");
        if (file_ == nullptr) throw Failure(ExitCode::io, "cannot open " + p + ": " + std::strerror(errno));
        gzip_ = ends_with(p, ".gz");
        zstd_ = ends_with(p, ".zst");
        if (gzip_ && inflateInit2(&z_, 15 + 32) != Z_OK) throw Failure(ExitCode::internal, "cannot start gunzip");
        if (zstd_) {
            zd_ = ZSTD_createDCtx();
            if (zd_ == nullptr) throw Failure(ExitCode::internal, "cannot start zstd");
        }
        sha_ = EVP_MD_CTX_new();
        if (sha_ == nullptr || EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) != 1)
            throw Failure(ExitCode::internal, "cannot start a SHA-256 digest");
        in_.resize(kReadChunk);
    }
    ~Decoder() {
        if (file_ != nullptr && file_ != stdin) std::fclose(file_);
        if (gzip_) inflateEnd(&z_);
        if (zd_ != nullptr) ZSTD_freeDCtx(zd_);
        if (sha_ != nullptr) EVP_MD_CTX_free(sha_);
    }
    Decoder(const Decoder &) = delete;
    Decoder &operator=(const Decoder &) = delete;

    // Appends the next decompressed bytes to out; false at the end.
    bool read(std::string &out) {
        for (;;) {
            if (in_pos_ == in_len_) {
                if (eof_) {
                    if (gzip_ && !gzip_done_) throw Failure(ExitCode::invalid_dataset, name_ + ": truncated gzip data");
                    if (zstd_ && zstd_pending_)
                        throw Failure(ExitCode::invalid_dataset, name_ + ": truncated zstd data");
                    return false;
                }
                in_len_ = std::fread(in_.data(), 1, in_.size(), file_);
                in_pos_ = 0;
                if (in_len_ < in_.size()) {
                    if (std::ferror(file_))
                        throw Failure(ExitCode::io, "cannot read " + name_ + ": " + std::strerror(errno));
                    eof_ = true;
                }
                EVP_DigestUpdate(sha_, in_.data(), in_len_);
                if (in_len_ == 0) continue;
            }
            const size_t before = out.size();
            if (!gzip_ && !zstd_) {
                out.append(in_.data() + in_pos_, in_len_ - in_pos_);
                in_pos_ = in_len_;
            } else if (gzip_) {
                if (gzip_done_) {  // another gzip member follows (cat a.gz b.gz)
                    inflateReset(&z_);
                    gzip_done_ = false;
                }
                char buf[kReadChunk];
                z_.next_in = reinterpret_cast<Bytef *>(in_.data() + in_pos_);
                z_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
                z_.next_out = reinterpret_cast<Bytef *>(buf);
                z_.avail_out = sizeof buf;
                int r = inflate(&z_, Z_NO_FLUSH);
                if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
                    throw Failure(ExitCode::invalid_dataset, name_ + ": not valid gzip data");
                if (r == Z_STREAM_END) gzip_done_ = true;
                in_pos_ = in_len_ - z_.avail_in;
                out.append(buf, sizeof buf - z_.avail_out);
            } else {
                char buf[kReadChunk];
                ZSTD_inBuffer in{in_.data() + in_pos_, in_len_ - in_pos_, 0};
                ZSTD_outBuffer o{buf, sizeof buf, 0};
                size_t r = ZSTD_decompressStream(zd_, &o, &in);
                if (ZSTD_isError(r))
                    throw Failure(ExitCode::invalid_dataset,
                                  name_ + ": not valid zstd data (" + ZSTD_getErrorName(r) + ")");
                zstd_pending_ = r != 0;
                in_pos_ += in.pos;
                out.append(buf, o.pos);
            }
            if (out.size() > before) return true;
        }
    }

    std::string sha256_hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(sha_, digest, &len);
        static const char *hex = "0123456789abcdef";
        std::string s;
        for (unsigned i = 0; i < len; i++) {
            s.push_back(hex[digest[i] >> 4]);
            s.push_back(hex[digest[i] & 15]);
        }
        return s;
    }

private:
    std::string name_;
    FILE *file_ = nullptr;
    bool gzip_ = false, zstd_ = false, eof_ = false, gzip_done_ = false, zstd_pending_ = false;
    z_stream z_{};
    ZSTD_DCtx *zd_ = nullptr;
    EVP_MD_CTX *sha_ = nullptr;
    std::vector<char> in_;
    size_t in_pos_ = 0, in_len_ = 0;
};

bool is_dataset_file(const std::string &name) {
    return ends_with(name, ".jsonl") || ends_with(name, ".jsonl.gz") || ends_with(name, ".jsonl.zst");
}

// The files of a dataset directory: those its manifest.json lists (with
// their sha256 and rows), else every .jsonl[.gz|.zst] in it, by name.
std::vector<DatasetFile> dataset_files(const fs::path &dir, bool *has_manifest) {
    std::vector<DatasetFile> files;
    const fs::path manifest = dir / "manifest.json";
    *has_manifest = fs::exists(manifest);
    if (*has_manifest) {
        std::ifstream in(manifest);
        nlohmann::json m = nlohmann::json::parse(in, nullptr, false);
        if (m.is_discarded() || !m.is_object() || !m.contains("files") || !m["files"].is_array())
            throw Failure(ExitCode::invalid_dataset, manifest.string() + ": not a Clara manifest (no \"files\" array)");
        for (const auto &f : m["files"]) {
            if (!f.is_object() || !f.contains("path") || !f["path"].is_string())
                throw Failure(ExitCode::invalid_dataset, manifest.string() + ": a file without a \"path\"");
            const std::string name = f["path"].get<std::string>();
            if (name.empty() || name.find("..") != std::string::npos || name[0] == '/')
                throw Failure(ExitCode::invalid_dataset,
                              manifest.string() + ": path \"" + name + "\" leaves " + dir.string());
            DatasetFile d{dir / name, name, std::nullopt, std::nullopt};
            if (f.contains("sha256") && f["sha256"].is_string()) d.sha256 = f["sha256"].get<std::string>();
            if (f.contains("rows") && f["rows"].is_number_unsigned()) d.rows = f["rows"].get<uint64_t>();
            files.push_back(std::move(d));
        }
        return files;
    }
    for (const auto &entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && is_dataset_file(name)) files.push_back({entry.path(), name, {}, {}});
    }
    std::sort(files.begin(), files.end(), [](const DatasetFile &a, const DatasetFile &b) { return a.name < b.name; });
    return files;
}

struct Verdict {
    uint64_t files = 0, lines = 0;
    bool manifest = false;
};

[[noreturn]] void invalid(const ValidateOptions &opt, const std::string &file, uint64_t line,
                          const std::string &reason) {
    if (opt.json) {
        nlohmann::json out = {{"valid", false}, {"file", file}, {"reason", reason}};
        out["line"] = line > 0 ? nlohmann::json(line) : nlohmann::json(nullptr);
        std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
    throw Failure(ExitCode::invalid_dataset,
                  line > 0 ? file + ":" + std::to_string(line) + ": " + reason : file + ": " + reason);
}

// Checks every line of f against schema.
void validate_file(const ValidateOptions &opt, const DatasetFile &f, LineSchema &schema, Verdict &v) {
    Decoder input(f);
    std::string buffer, where;
    size_t start = 0;
    uint64_t line_no = 0;
    bool more = true;
    auto check_line = [&](std::string_view line) {
        ++line_no;
        where = f.name + ":" + std::to_string(line_no);
        std::string finding = schema.check(line, where);
        if (!finding.empty()) invalid(opt, f.name, line_no, finding);
    };
    while (more) {
        try {
            more = input.read(buffer);
        } catch (const Failure &e) {
            if (e.code() == ExitCode::invalid_dataset) invalid(opt, f.name, 0, e.what() + f.name.size() + 2);
            throw;
        }
        size_t nl;
        while ((nl = buffer.find('\n', start)) != std::string::npos) {
            check_line(std::string_view(buffer).substr(start, nl - start));
            start = nl + 1;
        }
        if (start > 0) {
            buffer.erase(0, start);
            start = 0;
        }
        if (buffer.size() > kMaxLineBytes)
            invalid(opt, f.name, line_no + 1, "a line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    }
    if (!buffer.empty()) check_line(buffer);  // the last line has no '\n'
    if (f.sha256) {
        const std::string actual = input.sha256_hex();
        if (actual != *f.sha256)
            invalid(opt, f.name, 0, "sha256 " + actual + " differs from the manifest's " + *f.sha256);
    }
    if (f.rows && *f.rows != line_no)
        invalid(opt, f.name, 0, std::to_string(line_no) + " lines, the manifest says " + std::to_string(*f.rows));
    v.files++;
    v.lines += line_no;
}

}  // namespace

void run_validate(const ValidateOptions &opt) {
    std::vector<DatasetFile> files;
    Verdict v;
    std::error_code ec;
    if (opt.path != "-" && fs::is_directory(opt.path, ec)) {
        files = dataset_files(opt.path, &v.manifest);
        if (files.empty()) invalid(opt, opt.path, 0, "no .jsonl, .jsonl.gz or .jsonl.zst files");
    } else {
        if (opt.path != "-" && !fs::exists(opt.path, ec))
            throw Failure(ExitCode::io, "cannot open " + opt.path + ": no such file or directory");
        files.push_back({opt.path, opt.path == "-" ? "stdin" : opt.path, {}, {}});
    }
    LineSchema schema;
    for (const DatasetFile &f : files) validate_file(opt, f, schema, v);
    if (opt.json) {
        nlohmann::json out = {{"valid", true},
                              {"files", v.files},
                              {"lines", v.lines},
                              {"paths", schema.paths()},
                              {"manifest_checked", v.manifest}};
        std::printf("%s\n", out.dump().c_str());
    }
    if (!opt.quiet)
        std::fprintf(
            stderr,
            "clara-stream validate: %llu file%s, %llu line%s, %zu JSON paths: one set of keys and one JSON type "
            "per path on every line%s\n",
            static_cast<unsigned long long>(v.files), v.files == 1 ? "" : "s", static_cast<unsigned long long>(v.lines),
            v.lines == 1 ? "" : "s", schema.paths(), v.manifest ? "; sha256 and rows as in manifest.json" : "");
}

}  // namespace clara::cli
