#include "export.hpp"

#include "connection.hpp"
#include "dataset_output.hpp"
#include "interrupt.hpp"
#include "jsonl_copy.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "resume_state.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>

namespace clara::cli {

namespace {

constexpr size_t kWriteChunk = 1 << 20;
// After Ctrl-C, how long to wait for the server to confirm the cancel before
// closing the connection anyway.
constexpr auto kCancelGrace = std::chrono::seconds(5);

// bytes in lower-case hex.
std::string to_hex(const unsigned char *bytes, size_t n) {
    static const char *digits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * n);
    for (size_t i = 0; i < n; i++) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 15]);
    }
    return out;
}

// The sha256 of bytes in hex, as the server's sha256() gives it.
std::string sha256_hex(const std::string &bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw Failure(ExitCode::internal, "sha256 of the tokenizer file failed (OpenSSL)");
    return to_hex(digest, length);
}

// What manifest.json says besides the files: the tool, the command, the
// arguments as the server read them, and the database state (provenance).
nlohmann::json manifest_header(const ExportOptions &opt, const std::string &provenance) {
    using nlohmann::json;
    const SearchArguments &s = opt.search;
    auto or_null = [](const auto &v) { return v ? json(*v) : json(nullptr); };
    json filters = json::parse(s.filters_json, nullptr, false);
    json weights = s.weights_json ? json::parse(*s.weights_json, nullptr, false) : json(nullptr);
    json search_types = json(nullptr);
    if (s.search_types) {
        search_types = json::array();
        std::string list = *s.search_types;
        for (size_t start = 0;;) {
            size_t comma = list.find(',', start);
            search_types.push_back(list.substr(start, comma == std::string::npos ? comma : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    char created[32];
    std::time_t now = std::time(nullptr);
    std::tm tm;
    gmtime_r(&now, &tm);
    std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json database = json::parse(provenance, nullptr, false);
    return {{"clara_version", opt.version},
            {"created_at", created},
            {"command", opt.argv},
            {"database", database},
            {"query",
             {{"query", s.query},
              {"top_k", s.top_k},
              {"min_quality", s.min_quality},
              {"filters", filters},
              {"search_types", search_types},
              {"weights", weights},
              {"batch_size", opt.batch_size}}},
            {"training",
             {{"tokenizer", database.is_object() ? database.value("tokenizer", json(nullptr)) : json(nullptr)},
              {"chunk_tokens", or_null(s.chunk_tokens)},
              {"chunk_overlap", s.chunk_overlap},
              {"format", s.format},
              {"prompt_template", or_null(s.prompt_template)},
              {"text_template", or_null(s.text_template)},
              {"split", or_null(s.split)},
              {"split_seed", s.split_seed},
              {"token_budget", or_null(s.token_budget)},
              {"dedup", or_null(s.dedup)},
              {"record", or_null(s.record)},
              {"exclude", s.exclude},
              {"exclude_held_out", s.exclude_held_out},
              {"decontaminate", s.decontaminate},
              {"decontaminate_mode",
               s.decontaminate.empty() ? json(nullptr) : json(s.decontaminate_report ? "report" : "drop")}}}};
}

// What the ranking reads, cheaply, in the export's snapshot and with the
// caller's privileges (row-level security included): the documents it may
// see (count, and a hash over document_id, doc_key — a new one whenever
// title or content change — quality_score, domain, document_type, source
// and created_at: an index-only scan of clara_documents_doc_key_idx), and
// the citation edges when the graph search runs and the caller may read
// them. A metadata-only edit that keeps quality_score, or a change in an
// enrichment relation, passes it: the sha256 of the regenerated lines is
// the final word.
nlohmann::json corpus_fingerprint(Connection &conn, const std::string &schema, const SearchArguments &s) {
    using nlohmann::json;
    Result docs = conn.exec_params(
        "SELECT pg_catalog.count(*), COALESCE(pg_catalog.bit_xor("
        "pg_catalog.hashtextextended(d.document_id, d.doc_key)"
        " # pg_catalog.hashfloat8extended(d.quality_score, 1)"
        " # pg_catalog.hashtextextended(COALESCE(d.domain, ''), 2)"
        " # pg_catalog.hashtextextended(COALESCE(d.document_type, ''), 3)"
        " # pg_catalog.hashtextextended(COALESCE(d.source, ''), 4)"
        " # COALESCE(pg_catalog.hashint8extended((EXTRACT(EPOCH FROM d.created_at) * 1000000)::bigint, 5), 0)"
        "), 0) FROM " +
            schema + ".clara_documents d",
        {});
    json fingerprint = {{"documents", std::stoll(PQgetvalue(docs.get(), 0, 0))},
                        {"documents_hash", std::stoll(PQgetvalue(docs.get(), 0, 1))}};
    const bool graph = !s.search_types || s.search_types->find("graph") != std::string::npos;
    if (graph) {
        Result allowed = conn.exec_params("SELECT pg_catalog.has_table_privilege($1, 'SELECT')",
                                          {schema + ".clara_edges"});
        if (std::string(PQgetvalue(allowed.get(), 0, 0)) == "t") {
            Result edges = conn.exec_params(
                "SELECT pg_catalog.count(*), COALESCE(pg_catalog.bit_xor(pg_catalog.hashtextextended("
                "e.src_id || e'\\x01' || e.dst_id || e'\\x01' || e.relation, 0)), 0) FROM " +
                    schema + ".clara_edges e",
                {});
            fingerprint["edges"] = std::stoll(PQgetvalue(edges.get(), 0, 0));
            fingerprint["edges_hash"] = std::stoll(PQgetvalue(edges.get(), 0, 1));
        }
    }
    return fingerprint;
}

// What must be equal for a resume to continue an export: everything that
// shapes the bytes of the lines and the files.
nlohmann::json resume_arguments(const ExportOptions &opt, const nlohmann::json &header) {
    const nlohmann::json &database = header["database"];
    return {{"query", header["query"]},
            {"training", header["training"]},
            {"compression", compression_name(compression_named(opt.compression))},
            {"shard_size", opt.shard_size},
            {"clara_version", opt.version},
            {"extension_version", database.is_object() ? database.value("extension_version", nlohmann::json(nullptr))
                                                       : nlohmann::json(nullptr)}};
}

std::string join(const std::vector<std::string> &parts, const char *separator) {
    std::string out;
    for (const std::string &p : parts) out += (out.empty() ? "" : separator) + p;
    return out;
}

}  // namespace

// --tokenizer PATH: the file's bytes are registered on the server under
// their own hash, "sha256-" and its first 16 hex digits, as
// clara_register_tokenizer(NULL, bytes) names them. When that name already
// holds these bytes (an earlier export registered them), nothing is sent:
// Llama 3's tokenizer.json is 9 MB, 18 MB as a hex parameter. Anything that
// is not a readable file is a registered tokenizer's name.
std::optional<std::string> resolve_tokenizer(Connection &conn, const std::string &schema,
                                             const std::optional<std::string> &given) {
    if (!given) return given;
    struct stat st {};
    if (stat(given->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return given;
    std::ifstream in(*given, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw Failure(ExitCode::io, "cannot read tokenizer file " + *given + ": " + std::strerror(errno));
    const std::string sha = sha256_hex(bytes);
    const std::string name = "sha256-" + sha.substr(0, 16);
    Result held = conn.exec_params("SELECT 1 FROM " + schema + ".clara_tokenizers WHERE name = $1 AND sha256 = $2",
                                   {name, sha});
    if (PQntuples(held.get()) == 1) return name;
    const std::string param = "\\x" + to_hex(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
    Result r = conn.exec_params("SELECT (" + schema + ".clara_register_tokenizer(NULL::text, $1::bytea))->>'name'",
                                {param});
    return std::string(PQgetvalue(r.get(), 0, 0));
}

void run_export(const ExportOptions &opt_in) {
    using Clock = std::chrono::steady_clock;
    Connection conn(opt_in.connection);
    std::string schema = conn.clara_schema();
    ExportOptions opt = opt_in;
    opt.search.tokenizer = resolve_tokenizer(conn, schema, opt_in.search.tokenizer);
    // One of the two: a file (compressed by its extension) or a dataset directory.
    std::optional<EncodedOutput> file;
    std::optional<DatasetDirectory> dir;
    if (opt.output_dir.empty())
        file.emplace(opt.output);
    else if (opt.resume)
        dir.emplace(opt.output_dir, compression_named(opt.compression), opt.shard_size, DatasetDirectory::Resume{});
    else
        dir.emplace(opt.output_dir, compression_named(opt.compression), opt.shard_size);
    const std::string &out_name = dir ? dir->name() : file->name();
    CancelOnSignal cancel(conn.get());
    const std::string cancelled_text = out_name == "stdout" ? "export cancelled"
                                       : opt.resume
                                           ? "export cancelled; " + dir->partial_name() + " kept for another --resume"
                                           : "export cancelled, no file written";
    const char *cancelled = cancelled_text.c_str();
    auto write_out = [&](const std::string &lines) {
        if (file) {
            file->write(lines.data(), lines.size());
            return;
        }
        // Line by line: each goes to its split's shard.
        for (size_t at = 0; at < lines.size();) {
            size_t end = lines.find('\n', at);
            end = end == std::string::npos ? lines.size() : end + 1;
            dir->add(lines.data() + at, end - at);
            at = end;
        }
    };
    std::string provenance;
    // Progress notes of a resume: on their own line, not over the progress line.
    auto note = [&](Progress &progress, const std::string &text) {
        if (opt.quiet) return;
        progress.finish();
        std::fprintf(stderr, "clara-stream: %s\n", text.c_str());
    };

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
    // In the export's transaction, before its COPY: the state a resume
    // needs is written; a resume checks it first and refuses what it cannot continue.
    auto start_directory = [&]() {
        using nlohmann::json;
        json header = manifest_header(opt, provenance);
        json arguments = resume_arguments(opt, header);
        json fingerprint = corpus_fingerprint(conn, schema, opt.search);
        json run = {{"created_at", header["created_at"]},
                    {"database", header["database"]},
                    {"shards_verified", 0},
                    {"shards_written", 0}};
        if (!opt.resume) {
            ResumeState state;
            state.arguments = arguments;
            state.corpus = fingerprint;
            state.command = opt.argv;
            state.runs.push_back(run);
            dir->begin(std::move(state));
            return;
        }
        ResumeState state = dir->state();
        std::vector<std::string> differences = argument_differences(state.arguments, arguments);
        if (!differences.empty())
            throw Failure(ExitCode::resume_refused, "--resume: the arguments differ from the interrupted export's (" +
                                                        join(differences, "; ") + "): give the same ones, or remove " +
                                                        dir->partial_name() + " to export anew");
        if (state.corpus != fingerprint) {
            const json &then = state.corpus;
            std::string counts = then.value("documents", 0LL) == fingerprint.value("documents", 0LL)
                                     ? std::to_string(fingerprint.value("documents", 0LL)) +
                                           " documents then and now, but some added, removed or changed"
                                     : std::to_string(then.value("documents", 0LL)) + " documents then, " +
                                           std::to_string(fingerprint.value("documents", 0LL)) + " now";
            if (then.value("edges", 0LL) != fingerprint.value("edges", 0LL) ||
                then.value("edges_hash", 0LL) != fingerprint.value("edges_hash", 0LL))
                counts += "; citation edges changed";
            throw Failure(ExitCode::resume_refused,
                          "--resume: the corpus changed since the interrupted export began (" + counts +
                              "): its shards cannot be continued; remove " + dir->partial_name() + " and export again");
        }
        size_t recorded = state.shards.size();
        uint64_t rows = 0;
        for (const ShardRecord &r : state.shards) rows += r.rows;
        state.runs.push_back(run);
        dir->begin(std::move(state));
        note(progress, "resuming " + dir->partial_name() + ": arguments and corpus unchanged; checking the " +
                           std::to_string(recorded) + " completed shards (" + std::to_string(rows) +
                           " lines) against the regenerated lines, then writing the rest");
    };
    if (dir && opt.resume)
        dir->on_verified([&](size_t shards, uint64_t rows) {
            note(progress, "verified " + std::to_string(shards) + " shards written before (" + std::to_string(rows) +
                               " lines, sha256 equal), kept as they are; writing from here");
        });
    // The exact count is known only at the end (min(top_k, matching)), and
    // counting first would run the ranking twice: --top-k is an upper bound,
    // shown as one. With chunks a line is a chunk, and top_k bounds nothing.
    if (!opt.search.chunk_tokens)
        progress.set_total({ProgressTotal::Of::items_at_most, static_cast<uint64_t>(opt.search.top_k)});
    std::string buffer;
    buffer.reserve(kWriteChunk + (64 << 10));
    uint64_t documents = 0, bytes = 0;
    std::optional<Clock::duration> first_document;
    std::string summary;  // clara_export_summary() of this export
    try {
        JsonlCopy copy(conn, schema, opt.search, opt.batch_size, dir ? &provenance : nullptr,
                       dir ? std::function<void()>(start_directory) : nullptr);
        throw_if_interrupted(cancelled);
        for (;;) {
            JsonlCopy::Status status = copy.next();
            if (status == JsonlCopy::Status::finished) {
                summary = copy.summary();
                break;
            }
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
                    write_out(buffer);
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
                write_out(buffer);
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
    write_out(buffer);
    progress.finish();
    // What the server left out, by reason ({"duplicates": N}).
    nlohmann::json counts = nlohmann::json::parse(summary, nullptr, false);
    nlohmann::json removed = counts.is_object() ? counts.value("removed", nlohmann::json::object())
                                                : nlohmann::json::object();
    if (dir) {
        nlohmann::json manifest = manifest_header(opt, provenance);
        manifest["removed"] = removed;
        // The first run's command (a resume's only adds --resume); DatasetDirectory adds every run's snapshot.
        if (opt.resume) manifest["command"] = dir->state().command;
        dir->commit(std::move(manifest), opt.search.query);
    } else
        file->commit();
    Clock::time_point done = Clock::now();

    if (opt.quiet) return;
    double seconds = std::chrono::duration<double>(done - opt.started).count();
    // With chunks, a line is a chunk, not a document.
    const bool chunks = opt.search.chunk_tokens.has_value();
    // What each step kept out: "(3 duplicates removed, 2 excluded, 1 held out, 1 contaminated)".
    std::string duplicates;
    auto add_removed = [&](const std::string &part) { duplicates += (duplicates.empty() ? " (" : ", ") + part; };
    if (opt.search.dedup && *opt.search.dedup != "none")
        add_removed(std::to_string(removed.value("duplicates", 0LL)) + " duplicates removed");
    if (!opt.search.exclude.empty()) add_removed(std::to_string(removed.value("excluded", 0LL)) + " excluded");
    const long long held_out = removed.value("held_out", 0LL);
    if (held_out > 0 || opt.search.record) add_removed(std::to_string(held_out) + " held out");
    if (!opt.search.decontaminate.empty() && !opt.search.decontaminate_report)
        add_removed(std::to_string(removed.value("contaminated", 0LL)) + " contaminated removed");
    if (!duplicates.empty()) duplicates += ")";
    if (opt.resume)
        duplicates += " (resumed: " + std::to_string(dir->shards_verified()) + " shards verified, " +
                      std::to_string(dir->shards_written()) + " written)";
    std::fprintf(stderr, "clara-stream: %llu %s%s, %.1f MB to %s in %.2f s (%.0f %s/s, %.1f MB/s)",
                 static_cast<unsigned long long>(documents), chunks ? "chunks" : "documents", duplicates.c_str(),
                 static_cast<double>(bytes) / 1e6, out_name.c_str(), seconds, static_cast<double>(documents) / seconds,
                 chunks ? "chunks" : "docs", static_cast<double>(bytes) / 1e6 / seconds);
    if (first_document)
        std::fprintf(stderr, "; first document after %.0f ms\n",
                     std::chrono::duration<double, std::milli>(*first_document).count());
    else
        std::fprintf(stderr, "; nothing matched (try a broader --query or a lower --min-quality)\n");
}

}  // namespace clara::cli
