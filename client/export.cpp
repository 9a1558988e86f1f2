#include "export.hpp"

#include "connection.hpp"
#include "interrupt.hpp"
#include "output_file.hpp"
#include "progress.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <poll.h>

namespace clara::cli {

namespace {

// COPY takes no bind parameters ($1 is a syntax error inside COPY), so the
// arguments travel as bound parameters of a set_config() call first, as
// transaction-local custom settings, and the COPY reads them back with
// current_setting(). User text never becomes SQL text: no escaping to get
// wrong, whatever the encoding or standard_conforming_strings. The
// transaction keeps settings and COPY on one server connection (a pooler in
// transaction mode) and drops the settings at the end. "clara." is reserved
// by the extension; these live under "clara_stream.".
constexpr const char *kSetArguments =
    "SELECT pg_catalog.set_config('clara_stream.query', $1, true),"
    " pg_catalog.set_config('clara_stream.top_k', $2, true),"
    " pg_catalog.set_config('clara_stream.min_quality', $3, true),"
    " pg_catalog.set_config('clara_stream.filters', $4, true),"
    " pg_catalog.set_config('clara_stream.search_types', $5, true),"
    " pg_catalog.set_config('clara_stream.weights', $6, true),"
    " pg_catalog.set_config('clara_stream.batch_size', $7, true)";

// CSV with quote and delimiter bytes that never occur in a JSON line: each
// line comes out exactly as the function returned it (text format would
// double every backslash).
std::string copy_statement(const std::string &schema) {
    return "COPY (SELECT " + schema +
           ".clara_stream_jsonl("
           "pg_catalog.current_setting('clara_stream.query'),"
           " pg_catalog.current_setting('clara_stream.top_k')::integer,"
           " pg_catalog.current_setting('clara_stream.min_quality')::double precision,"
           " pg_catalog.current_setting('clara_stream.filters')::jsonb,"
           " pg_catalog.string_to_array(NULLIF(pg_catalog.current_setting('clara_stream.search_types'), ''), ','),"
           " NULLIF(pg_catalog.current_setting('clara_stream.weights'), '')::jsonb,"
           " pg_catalog.current_setting('clara_stream.batch_size')::integer))"
           " TO STDOUT WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')";
}

constexpr size_t kWriteChunk = 1 << 20;
// After Ctrl-C, how long to wait for the server to confirm the cancel before
// closing the connection anyway.
constexpr auto kCancelGrace = std::chrono::seconds(5);

// Waits until the socket is readable, a signal arrives or timeout_ms passes.
void wait_readable(PGconn *conn, int timeout_ms) {
    pollfd pfd{PQsocket(conn), POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
        throw Failure(ExitCode::io, std::string("poll: ") + std::strerror(errno));
}

// Feeds libpq from the socket; false when the connection broke.
bool consume(PGconn *conn) { return PQconsumeInput(conn) == 1; }

}  // namespace

std::string exact_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

void run_export(const ExportOptions &opt) {
    using Clock = std::chrono::steady_clock;
    Connection conn(opt.dsn);
    std::string schema = conn.clara_schema();
    OutputFile out(opt.output);
    CancelOnSignal cancel(conn.get());
    PGconn *pg = conn.get();
    const char *cancelled = out.name() == "stdout" ? "export cancelled" : "export cancelled, no file written";

    conn.exec("BEGIN");
    const SearchArguments &s = opt.search;
    conn.exec_params(kSetArguments, {s.query, std::to_string(s.top_k), exact_double(s.min_quality), s.filters_json,
                                     s.search_types.value_or(""), s.weights_json.value_or(""),
                                     std::to_string(opt.batch_size)});
    throw_if_interrupted(cancelled);

    if (PQsendQuery(pg, copy_statement(schema).c_str()) != 1) throw conn.failure(nullptr);

    // Everything after the query is sent waits in poll(), so a signal is
    // seen within one timeout even if the server sends nothing.
    std::optional<Clock::time_point> signalled;
    auto check_signal = [&]() {
        if (pending_signal() == 0) return;
        cancel.cancel_if_interrupted();
        if (!signalled) signalled = Clock::now();
        if (Clock::now() - *signalled > kCancelGrace) throw_if_interrupted(cancelled);
    };
    auto fail = [&](const PGresult *result) -> Failure {
        throw_if_interrupted(cancelled);
        return conn.failure(result);
    };

    while (PQisBusy(pg)) {
        check_signal();
        wait_readable(pg, 250);
        if (!consume(pg)) throw fail(nullptr);
    }
    Result started(PQgetResult(pg));
    if (PQresultStatus(started.get()) != PGRES_COPY_OUT) throw fail(started.get());

    Progress progress(opt.quiet);
    std::string buffer;
    buffer.reserve(kWriteChunk + (64 << 10));
    uint64_t documents = 0, bytes = 0;
    std::optional<Clock::duration> first_document;
    for (;;) {
        char *row = nullptr;
        int n = PQgetCopyData(pg, &row, 1);
        if (n > 0 && pending_signal() != 0) {
            // Interrupted: drop what still arrives until the server confirms.
            PQfreemem(row);
            check_signal();
            continue;
        }
        if (n > 0) {
            if (!first_document) first_document = Clock::now() - opt.started;
            buffer.append(row, static_cast<size_t>(n));
            PQfreemem(row);
            ++documents;
            bytes += static_cast<uint64_t>(n);
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
        if (n == -1) break;
        if (n == -2) throw fail(nullptr);
        // Nothing buffered: hand what we have to the file or pipe now, so a
        // reader downstream sees the first documents without waiting for 1 MB.
        if (!buffer.empty()) {
            out.write(buffer.data(), buffer.size());
            buffer.clear();
        }
        progress.update(documents, bytes);
        check_signal();
        wait_readable(pg, 250);
        if (!consume(pg)) throw fail(nullptr);
    }
    throw_if_interrupted(cancelled);  // the COPY ended before the cancel reached it
    out.write(buffer.data(), buffer.size());
    Result finished(PQgetResult(pg));
    if (PQresultStatus(finished.get()) != PGRES_COMMAND_OK) throw fail(finished.get());
    while (Result extra{PQgetResult(pg)}) {
    }
    conn.exec("COMMIT");
    progress.finish();
    out.commit();
    Clock::time_point done = Clock::now();

    if (opt.quiet) return;
    double seconds = std::chrono::duration<double>(done - opt.started).count();
    std::fprintf(stderr, "clara-stream: %llu documents, %.1f MB to %s in %.2f s (%.0f docs/s, %.1f MB/s)",
                 static_cast<unsigned long long>(documents), static_cast<double>(bytes) / 1e6, out.name().c_str(),
                 seconds, static_cast<double>(documents) / seconds, static_cast<double>(bytes) / 1e6 / seconds);
    if (first_document)
        std::fprintf(stderr, "; first document after %.0f ms\n",
                     std::chrono::duration<double, std::milli>(*first_document).count());
    else
        std::fprintf(stderr, "; nothing matched (try a broader --query or a lower --min-quality)\n");
}

}  // namespace clara::cli
