#include "jsonl_copy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
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
    " pg_catalog.set_config('clara_stream.batch_size', $7, true),"
    " pg_catalog.set_config('clara_stream.tokenizer', $8, true),"
    " pg_catalog.set_config('clara_stream.chunk_tokens', $9, true),"
    " pg_catalog.set_config('clara_stream.chunk_overlap', $10, true),"
    " pg_catalog.set_config('clara_stream.format', $11, true),"
    " pg_catalog.set_config('clara_stream.prompt_template', $12, true),"
    " pg_catalog.set_config('clara_stream.text_template', $13, true),"
    " pg_catalog.set_config('clara_stream.split', $14, true),"
    " pg_catalog.set_config('clara_stream.split_seed', $15, true),"
    " pg_catalog.set_config('clara_stream.token_budget', $16, true),"
    " pg_catalog.set_config('clara_stream.dedup', $17, true),"
    " pg_catalog.set_config('clara_stream.record', $18, true),"
    " pg_catalog.set_config('clara_stream.exclude', $19, true),"
    " pg_catalog.set_config('clara_stream.exclude_held_out', $20, true),"
    " pg_catalog.set_config('clara_stream.decontaminate', $21, true),"
    " pg_catalog.set_config('clara_stream.decontaminate_mode', $22, true)";

// Binary: each row is its line's bytes behind a length, as the function
// returned it (text format would double every backslash), and the server
// does not scan every byte for characters to quote or escape as the text
// and CSV formats do (a sixth of the export backend's CPU at 100K
// documents, docs/benchmarks.md). psql users get the same lines with CSV
// and a quote and delimiter that never occur in a JSON line (README).
std::string copy_statement(const std::string &schema) {
    return "COPY (SELECT " + schema +
           ".clara_stream_jsonl("
           "pg_catalog.current_setting('clara_stream.query'),"
           " pg_catalog.current_setting('clara_stream.top_k')::integer,"
           " pg_catalog.current_setting('clara_stream.min_quality')::double precision,"
           " pg_catalog.current_setting('clara_stream.filters')::jsonb,"
           " pg_catalog.string_to_array(NULLIF(pg_catalog.current_setting('clara_stream.search_types'), ''), ','),"
           " NULLIF(pg_catalog.current_setting('clara_stream.weights'), '')::jsonb,"
           " pg_catalog.current_setting('clara_stream.batch_size')::integer,"
           " NULLIF(pg_catalog.current_setting('clara_stream.tokenizer'), ''),"
           " NULLIF(pg_catalog.current_setting('clara_stream.chunk_tokens'), '')::integer,"
           " pg_catalog.current_setting('clara_stream.chunk_overlap')::integer,"
           " pg_catalog.current_setting('clara_stream.format'),"
           " NULLIF(pg_catalog.current_setting('clara_stream.prompt_template'), ''),"
           " NULLIF(pg_catalog.current_setting('clara_stream.text_template'), ''),"
           " NULLIF(pg_catalog.current_setting('clara_stream.split'), ''),"
           " pg_catalog.current_setting('clara_stream.split_seed')::bigint, NULL,"
           " NULLIF(pg_catalog.current_setting('clara_stream.token_budget'), '')::bigint,"
           " NULLIF(pg_catalog.current_setting('clara_stream.dedup'), ''),"
           " NULLIF(pg_catalog.current_setting('clara_stream.record'), ''),"
           " ARRAY(SELECT "
           "pg_catalog.jsonb_array_elements_text(pg_catalog.current_setting('clara_stream.exclude')::jsonb)),"
           " pg_catalog.current_setting('clara_stream.exclude_held_out')::boolean,"
           // Set names as a JSON array (names may hold commas); named, so
           // the ledger's arguments before them keep their defaults.
           " decontaminate => ARRAY(SELECT pg_catalog.jsonb_array_elements_text("
           "pg_catalog.current_setting('clara_stream.decontaminate')::jsonb)),"
           " decontaminate_mode => pg_catalog.current_setting('clara_stream.decontaminate_mode')))"
           " TO STDOUT WITH (FORMAT binary)";
}

// The 11-byte signature of binary COPY, then flags and the header
// extension's length (int32 each); the first row follows in the same message.
constexpr char kBinarySignature[] = "PGCOPY\n\377\r\n";
constexpr size_t kBinaryHeaderBytes = 11 + 4 + 4;

uint32_t read_uint32(const char *p) {
    const auto *b = reinterpret_cast<const unsigned char *>(p);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

// Reads and drops everything the server still sends for the statements in
// flight (COPY rows included) until libpq has no result left. False when
// the connection broke or the deadline passed first.
bool drain(PGconn *pg, std::chrono::steady_clock::time_point deadline) {
    using namespace std::chrono;
    for (;;) {
        if (PQconsumeInput(pg) == 0) return false;
        bool need_input = false;
        while (!need_input) {
            if (PQisBusy(pg)) {
                need_input = true;
                break;
            }
            PGresult *r = PQgetResult(pg);
            if (r == nullptr) return true;
            ExecStatusType status = PQresultStatus(r);
            PQclear(r);
            if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) return false;
            if (status != PGRES_COPY_OUT) continue;
            char *row = nullptr;
            int n;
            while ((n = PQgetCopyData(pg, &row, 1)) > 0) PQfreemem(row);
            if (n == -2) return false;
            if (n == 0) need_input = true;  // n == -1: the COPY's own result follows
        }
        auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd pfd{PQsocket(pg), POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 100))) < 0 && errno != EINTR) return false;
    }
}

}  // namespace

std::string exact_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

void wait_readable(int fd, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
        throw Failure(ExitCode::io, std::string("poll: ") + std::strerror(errno));
}

JsonlCopy::JsonlCopy(Connection &conn, const std::string &schema, const SearchArguments &s, int batch_size,
                     std::string *provenance, const std::function<void()> &before_copy)
    : conn_(conn), schema_(schema) {
    // --record writes the ledger in the export's own transaction: read-write
    // even where default_transaction_read_only is on (a standby refuses it).
    const char *access = s.record ? " READ WRITE" : "";
    if (provenance == nullptr) {
        conn_.exec((std::string("BEGIN") + access).c_str());
    } else {
        // One snapshot for the whole export, taken by this first statement:
        // the manifest names the database state the lines come from.
        conn_.exec((std::string("BEGIN ISOLATION LEVEL REPEATABLE READ") + access).c_str());
        Result r = conn_.exec_params(
            "SELECT pg_catalog.json_build_object("
            "'database', pg_catalog.current_database(),"
            " 'server_version', pg_catalog.current_setting('server_version'),"
            " 'extension_version', (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'clara'),"
            " 'snapshot', pg_catalog.pg_current_snapshot()::text,"
            " 'lsn', (CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()"
            " ELSE pg_catalog.pg_current_wal_lsn() END)::text,"
            " 'in_recovery', pg_catalog.pg_is_in_recovery(),"
            " 'tokenizer', (SELECT pg_catalog.json_build_object('name', t.name, 'kind', t.kind,"
            " 'vocabulary', t.vocabulary, 'sha256', t.sha256) FROM " +
                schema +
                ".clara_tokenizers t"
                " WHERE t.name = $1))::text",
            {s.tokenizer});
        *provenance = PQgetvalue(r.get(), 0, 0);
    }
    if (before_copy) before_copy();
    conn_.exec_params(kSetArguments, {s.query,
                                      std::to_string(s.top_k),
                                      exact_double(s.min_quality),
                                      s.filters_json,
                                      s.search_types.value_or(""),
                                      s.weights_json.value_or(""),
                                      std::to_string(batch_size),
                                      s.tokenizer.value_or(""),
                                      s.chunk_tokens ? std::to_string(*s.chunk_tokens) : std::string(),
                                      std::to_string(s.chunk_overlap),
                                      s.format,
                                      s.prompt_template.value_or(""),
                                      s.text_template.value_or(""),
                                      s.split.value_or(""),
                                      std::to_string(s.split_seed),
                                      s.token_budget ? std::to_string(*s.token_budget) : std::string(),
                                      s.dedup.value_or(""),
                                      s.record.value_or(""),
                                      nlohmann::json(s.exclude).dump(),
                                      s.exclude_held_out ? "true" : "false",
                                      nlohmann::json(s.decontaminate).dump(),
                                      std::string(s.decontaminate_report ? "report" : "drop")});
    if (PQsendQuery(conn_.get(), copy_statement(schema).c_str()) != 1) throw conn_.failure(nullptr);
}

JsonlCopy::~JsonlCopy() { free_row(); }

void JsonlCopy::free_row() {
    if (row_ != nullptr) PQfreemem(row_);
    row_ = nullptr;
    line_ = nullptr;
    row_size_ = 0;
}

// One CopyData message of the binary COPY: a row of one text field (the
// header before the first), or the trailer (false). The line is made to
// end with its '\n' in libpq's buffer, which has a byte for the
// terminating zero PQgetCopyData() always adds.
bool JsonlCopy::take_binary_row(int n) {
    const char *p = row_;
    size_t left = static_cast<size_t>(n);
    auto broken = [&] {
        phase_ = Phase::failed;
        return Failure(ExitCode::internal, "unexpected binary COPY data from the server");
    };
    if (!header_read_) {
        if (left < kBinaryHeaderBytes || std::memcmp(p, kBinarySignature, 11) != 0) throw broken();
        const size_t extension = read_uint32(p + 15);
        if (left < kBinaryHeaderBytes + extension) throw broken();
        p += kBinaryHeaderBytes + extension;
        left -= kBinaryHeaderBytes + extension;
        header_read_ = true;
    }
    if (left == 2 && p[0] == '\377' && p[1] == '\377') return false;  // field count -1: the end
    if (left < 6 || p[0] != 0 || p[1] != 1) throw broken();
    const uint32_t length = read_uint32(p + 2);
    p += 6;
    left -= 6;
    // NULL (-1) comes out as an empty line, as CSV writes it.
    const size_t size = length == 0xFFFFFFFFu ? 0 : length;
    if (size != left) throw broken();
    // The line ends the message: its '\n' goes over libpq's zero byte.
    char *line = row_ + (n - static_cast<int>(left));
    line[size] = '\n';
    line_ = line;
    row_size_ = static_cast<int>(size + 1);
    return true;
}

JsonlCopy::Status JsonlCopy::next() {
    free_row();
    PGconn *pg = conn_.get();
    auto fail = [&](const PGresult *result) {
        phase_ = Phase::failed;
        return conn_.failure(result);
    };
    if (phase_ == Phase::finished) return Status::finished;
    if (phase_ == Phase::failed) throw Failure(ExitCode::internal, "JsonlCopy::next after a failure");
    if (phase_ == Phase::starting) {
        if (PQconsumeInput(pg) == 0) throw fail(nullptr);
        if (PQisBusy(pg)) return Status::waiting;
        Result started(PQgetResult(pg));
        if (PQresultStatus(started.get()) != PGRES_COPY_OUT) throw fail(started.get());
        phase_ = Phase::copying;
    }
    bool consumed = false;
    for (;;) {
        int n = PQgetCopyData(pg, &row_, 1);
        if (n > 0) {
            if (take_binary_row(n)) return Status::row;
            free_row();  // the trailer
            continue;
        }
        if (n == 0) {
            // Nothing complete in libpq's buffer: read what the socket has.
            if (consumed) return Status::waiting;
            if (PQconsumeInput(pg) == 0) throw fail(nullptr);
            consumed = true;
            continue;
        }
        if (n == -2) throw fail(nullptr);
        Result done(PQgetResult(pg));  // n == -1: the COPY ended, its result says how
        if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) throw fail(done.get());
        while (Result extra{PQgetResult(pg)}) {
        }
        phase_ = Phase::failed;  // until COMMIT succeeds
        // The counts live in this backend until its next export: read them
        // in the same transaction, before a pooler may hand the connection on.
        Result summary = conn_.exec_params("SELECT " + schema_ + ".clara_export_summary()::text", {});
        summary_ = PQgetvalue(summary.get(), 0, 0);
        conn_.exec("COMMIT");
        phase_ = Phase::finished;
        return Status::finished;
    }
}

bool JsonlCopy::abandon(std::chrono::steady_clock::time_point deadline) {
    free_row();
    PGconn *pg = conn_.get();
    if (phase_ == Phase::finished) return true;
    if (PQstatus(pg) == CONNECTION_BAD) return false;
    // A COPY still running (or a ranking not yet started sending) stops at
    // the server's next interrupt check; one that already failed needs none.
    if (phase_ != Phase::failed && PQtransactionStatus(pg) == PQTRANS_ACTIVE) {
        if (PGcancel *cancel = PQgetCancel(pg)) {
            char error[256];
            PQcancel(cancel, error, sizeof error);
            PQfreeCancel(cancel);
        }
    }
    phase_ = Phase::failed;
    if (!drain(pg, deadline)) return false;
    if (PQtransactionStatus(pg) == PQTRANS_IDLE) return true;
    if (PQsendQuery(pg, "ROLLBACK") != 1 || !drain(pg, deadline)) return false;
    return PQtransactionStatus(pg) == PQTRANS_IDLE;
}

}  // namespace clara::cli
