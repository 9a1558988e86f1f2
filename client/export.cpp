#include "export.hpp"

#include "connection.hpp"
#include "interrupt.hpp"
#include "jsonl_copy.hpp"
#include "output_file.hpp"
#include "progress.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

namespace clara::cli {

namespace {

constexpr size_t kWriteChunk = 1 << 20;
// After Ctrl-C, how long to wait for the server to confirm the cancel before
// closing the connection anyway.
constexpr auto kCancelGrace = std::chrono::seconds(5);

// --tokenizer PATH: the file's bytes are registered on the server under
// their own hash (nothing is parsed again when they are there already);
// anything that is not a readable file is a registered tokenizer's name.
std::optional<std::string> resolve_tokenizer(Connection &conn, const std::string &schema,
                                             const std::optional<std::string> &given) {
    if (!given) return given;
    struct stat st {};
    if (stat(given->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return given;
    std::ifstream in(*given, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw Failure(ExitCode::io, "cannot read tokenizer file " + *given + ": " + std::strerror(errno));
    static const char *hex = "0123456789abcdef";
    std::string param = "\\x";
    param.reserve(2 + bytes.size() * 2);
    for (unsigned char c : bytes) {
        param.push_back(hex[c >> 4]);
        param.push_back(hex[c & 15]);
    }
    Result r = conn.exec_params("SELECT (" + schema + ".clara_register_tokenizer(NULL::text, $1::bytea))->>'name'",
                                {param});
    return std::string(PQgetvalue(r.get(), 0, 0));
}

}  // namespace

void run_export(const ExportOptions &opt_in) {
    using Clock = std::chrono::steady_clock;
    Connection conn(opt_in.connection);
    std::string schema = conn.clara_schema();
    ExportOptions opt = opt_in;
    opt.search.tokenizer = resolve_tokenizer(conn, schema, opt_in.search.tokenizer);
    OutputFile out(opt.output);
    CancelOnSignal cancel(conn.get());
    const char *cancelled = out.name() == "stdout" ? "export cancelled" : "export cancelled, no file written";

    // Everything after the query is sent waits in poll(), so a signal is
    // seen within one timeout even if the server sends nothing.
    std::optional<Clock::time_point> signalled;
    auto check_signal = [&]() {
        if (pending_signal() == 0) return;
        cancel.cancel_if_interrupted();
        if (!signalled) signalled = Clock::now();
        if (Clock::now() - *signalled > kCancelGrace) throw_if_interrupted(cancelled);
    };

    Progress progress(opt.quiet);
    // The exact count is known only at the end (min(top_k, matching)), and
    // counting first would run the ranking twice: --top-k is an upper bound,
    // shown as one. With chunks a line is a chunk, and top_k bounds nothing.
    if (!opt.search.chunk_tokens)
        progress.set_total({ProgressTotal::Of::items_at_most, static_cast<uint64_t>(opt.search.top_k)});
    std::string buffer;
    buffer.reserve(kWriteChunk + (64 << 10));
    uint64_t documents = 0, bytes = 0;
    std::optional<Clock::duration> first_document;
    try {
        JsonlCopy copy(conn, schema, opt.search, opt.batch_size);
        throw_if_interrupted(cancelled);
        for (;;) {
            JsonlCopy::Status status = copy.next();
            if (status == JsonlCopy::Status::finished) break;
            if (status == JsonlCopy::Status::row && pending_signal() != 0) {
                check_signal();  // interrupted: drop what still arrives until the server confirms
                continue;
            }
            if (status == JsonlCopy::Status::row) {
                if (!first_document) first_document = Clock::now() - opt.started;
                buffer.append(copy.data(), copy.size());
                ++documents;
                bytes += copy.size();
                if (buffer.size() >= kWriteChunk) {
                    out.write(buffer.data(), buffer.size());
                    buffer.clear();
                }
                if ((documents & 255) == 0) {
                    progress.update(documents, bytes);
                    check_signal();
                }
                continue;
            }
            // Nothing buffered: hand what we have to the file or pipe now, so a
            // reader downstream sees the first documents without waiting for 1 MB.
            if (!buffer.empty()) {
                out.write(buffer.data(), buffer.size());
                buffer.clear();
            }
            progress.update(documents, bytes);
            check_signal();
            wait_readable(copy.socket(), 250);
        }
    } catch (const Failure &) {
        throw_if_interrupted(cancelled);  // our own cancel, reported as the signal
        throw;
    }
    throw_if_interrupted(cancelled);  // the COPY ended before the cancel reached it
    out.write(buffer.data(), buffer.size());
    progress.finish();
    out.commit();
    Clock::time_point done = Clock::now();

    if (opt.quiet) return;
    double seconds = std::chrono::duration<double>(done - opt.started).count();
    // With chunks, a line is a chunk, not a document.
    const bool chunks = opt.search.chunk_tokens.has_value();
    std::fprintf(stderr, "clara-stream: %llu %s, %.1f MB to %s in %.2f s (%.0f %s/s, %.1f MB/s)",
                 static_cast<unsigned long long>(documents), chunks ? "chunks" : "documents",
                 static_cast<double>(bytes) / 1e6, out.name().c_str(), seconds,
                 static_cast<double>(documents) / seconds, chunks ? "chunks" : "docs",
                 static_cast<double>(bytes) / 1e6 / seconds);
    if (first_document)
        std::fprintf(stderr, "; first document after %.0f ms\n",
                     std::chrono::duration<double, std::milli>(*first_document).count());
    else
        std::fprintf(stderr, "; nothing matched (try a broader --query or a lower --min-quality)\n");
}

}  // namespace clara::cli
