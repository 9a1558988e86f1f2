#include "load.hpp"

#include "connection.hpp"
#include "core/load_document.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <sys/stat.h>

namespace clara::cli {

namespace {

constexpr size_t kMaxReported = 10;
constexpr size_t kMaxWarnings = 5;
constexpr size_t kCopyChunk = 256 << 10;

// Lives until COMMIT. `line` is the input line, for duplicate reports.
// created_at, metadata and citations are staged as text and typed by the
// clara_stream_staged view: a value the server rejects (a number numeric
// cannot hold, a jsonb over its size limit) then fails a statement that can
// be retried on fewer rows, not the COPY whose rows are gone.
constexpr const char *kCreateStaging =
    "CREATE TEMP TABLE clara_stream_staging ("
    " line bigint NOT NULL, document_id text NOT NULL, title text, content text NOT NULL,"
    " domain text, document_type text, source text, created_at text,"
    " metadata text NOT NULL, citations text NOT NULL) ON COMMIT DROP";
constexpr const char *kCreateStaged =
    "CREATE TEMP VIEW clara_stream_staged AS SELECT line, document_id, title, content, domain, document_type,"
    " source, created_at::timestamptz AS created_at, metadata::jsonb AS metadata, citations::jsonb AS citations"
    " FROM clara_stream_staging";

// PostgreSQL 14+ polls the socket of a running statement: a loader killed
// with SIGKILL no longer leaves its backend upserting for seconds.
constexpr const char *kCheckClientConnection =
    "SELECT pg_catalog.set_config('client_connection_check_interval', '1s', false) FROM pg_catalog.pg_settings"
    " WHERE name = 'client_connection_check_interval'";

// Contents of ~2 KB are just over the TOAST threshold: pglz compressing
// each one costs about half of the staging COPY; lz4 is several times
// faster (and the rows keep it in clara_documents, which also reads faster).
// Only where the server was built with lz4.
constexpr const char *kPreferLz4 =
    "SELECT pg_catalog.set_config('default_toast_compression', 'lz4', true) FROM pg_catalog.pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)";

// Later lines repeating a document_id are input errors like malformed lines
// (an upsert cannot touch one row twice in a statement).
constexpr const char *kFindDuplicates =
    "WITH d AS (SELECT line, document_id, min(line) OVER (PARTITION BY document_id) AS first_line"
    "           FROM clara_stream_staging)"
    " SELECT line, document_id, first_line, count(*) OVER () FROM d WHERE line <> first_line"
    " ORDER BY line LIMIT 10";
constexpr const char *kDropDuplicates =
    "DELETE FROM clara_stream_staging s USING clara_stream_staging t"
    " WHERE t.document_id = s.document_id AND t.line < s.line";

// Every user column, compared as one row: IS DISTINCT FROM treats NULLs as
// values, and jsonb compares by value (key order does not matter).
constexpr const char *kChanged =
    "(d.title, d.content, d.domain, d.document_type, d.source, d.created_at, d.metadata)"
    " IS DISTINCT FROM (s.title, s.content, s.domain, s.document_type, s.source, s.created_at, s.metadata)";

// Unchanged rows are left alone: no BEFORE trigger recomputing the derived
// columns, no new row version, nothing for the index triggers. Changed rows
// are UPDATEd and new rows INSERTed by two statements, because INSERT ... ON
// CONFLICT runs the BEFORE INSERT trigger (the expensive derivation) even for
// rows that then conflict. Its ON CONFLICT only covers a concurrent loader
// inserting the same document_id in between.
//
// `rows` restricts every statement to some staged rows (a condition on
// s.line); "true" for all of them.
std::string update_statement(const std::string &schema, const std::string &rows) {
    return "UPDATE " + schema +
           ".clara_documents d SET title = s.title, content = s.content, domain = s.domain,"
           " document_type = s.document_type, source = s.source, created_at = s.created_at,"
           " metadata = s.metadata"
           " FROM clara_stream_staged s WHERE d.document_id = s.document_id AND " +
           kChanged + " AND " + rows;
}

// Locks the rows the UPDATE will change, and the edges of the loaded
// documents, in key order first: two loads changing the same documents in
// different file orders then queue at the first one instead of each holding
// a row the other waits for (40P01). The UPDATE and DELETE cannot be ordered
// themselves.
std::string lock_statement(const std::string &schema, const std::string &rows) {
    return "SELECT FROM " + schema +
           ".clara_documents d JOIN clara_stream_staged s ON d.document_id = s.document_id"
           " WHERE " +
           std::string(kChanged) + " AND " + rows + " ORDER BY d.document_id FOR UPDATE OF d";
}
std::string lock_edges_statement(const std::string &schema, const std::string &rows) {
    return "SELECT FROM " + schema +
           ".clara_edges e JOIN clara_stream_staged s ON e.src_id = s.document_id"
           " WHERE e.relation = 'cites' AND " +
           rows + " ORDER BY e.src_id, e.dst_id FOR UPDATE OF e";
}

std::string insert_statement(const std::string &schema, const std::string &rows) {
    std::string changed = kChanged;
    changed.replace(changed.find("(s."), std::string::npos,
                    "(excluded.title, excluded.content, excluded.domain, excluded.document_type,"
                    " excluded.source, excluded.created_at, excluded.metadata)");
    return "WITH inserted AS ("
           " INSERT INTO " +
           schema +
           ".clara_documents AS d"
           " (document_id, title, content, domain, document_type, source, created_at, metadata)"
           " SELECT s.document_id, s.title, s.content, s.domain, s.document_type, s.source, s.created_at, s.metadata"
           " FROM clara_stream_staged s"
           " WHERE " +
           rows + " AND NOT EXISTS (SELECT FROM " + schema +
           ".clara_documents e WHERE e.document_id = s.document_id)"
           // In id order, whatever the file's: two loads of the same new ids
           // then meet at the first one in the unique index and queue,
           // instead of each holding an id the other waits for (40P01).
           " ORDER BY s.document_id"
           " ON CONFLICT (document_id) DO UPDATE SET title = excluded.title, content = excluded.content,"
           " domain = excluded.domain, document_type = excluded.document_type, source = excluded.source,"
           " created_at = excluded.created_at, metadata = excluded.metadata WHERE " +
           changed +
           " RETURNING xmax = 0 AS is_new)"
           " SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM inserted";
}

// A loaded document's outgoing "cites" edges become exactly its citations.
// Only the difference is written, so loading the same file again writes
// nothing. Citations of documents not (yet) loaded are kept: the graph
// search joins on what exists. A citation listed twice meets ON CONFLICT DO
// NOTHING (no DISTINCT sort needed).
std::string delete_edges_statement(const std::string &schema, const std::string &rows) {
    return "DELETE FROM " + schema +
           ".clara_edges e USING clara_stream_staged s"
           " WHERE e.src_id = s.document_id AND e.relation = 'cites' AND NOT s.citations ? e.dst_id AND " +
           rows;
}

std::string insert_edges_statement(const std::string &schema, const std::string &rows) {
    return "INSERT INTO " + schema +
           ".clara_edges (src_id, dst_id, relation)"
           " SELECT s.document_id, c.dst_id, 'cites'"
           " FROM clara_stream_staged s, jsonb_array_elements_text(s.citations) AS c(dst_id)"
           " WHERE " +
           rows + " AND NOT EXISTS (SELECT FROM " + schema +
           ".clara_edges e"
           "                   WHERE e.src_id = s.document_id AND e.dst_id = c.dst_id AND e.relation = 'cites')"
           " ORDER BY s.document_id, c.dst_id"
           " ON CONFLICT DO NOTHING";
}

struct InputError {
    uint64_t line;
    std::string reason;
};

uint64_t value(const Result &r, int row, int col) { return std::strtoull(PQgetvalue(r.get(), row, col), nullptr, 10); }
uint64_t affected(const Result &r) { return std::strtoull(PQcmdTuples(r.get()), nullptr, 10); }

struct Written {
    uint64_t inserted = 0, updated = 0, edges_added = 0, edges_removed = 0;
};

// Upserts the staged rows that satisfy `rows` (with parameters $1, $2).
Written write_staged(Connection &conn, const std::string &schema, const std::string &rows,
                     const std::vector<std::optional<std::string>> &params) {
    Written w;
    conn.exec_params(lock_statement(schema, rows), params);
    w.updated = affected(conn.exec_params(update_statement(schema, rows), params));
    Result ins = conn.exec_params(insert_statement(schema, rows), params);
    w.inserted = value(ins, 0, 0);
    w.updated += value(ins, 0, 1);
    conn.exec_params(lock_edges_statement(schema, rows), params);
    w.edges_removed = affected(conn.exec_params(delete_edges_statement(schema, rows), params));
    w.edges_added = affected(conn.exec_params(insert_edges_statement(schema, rows), params));
    return w;
}

// A statement failed because of the data of some row (SQLSTATE class 22
// data exception, 23 constraint violation, 54 program limit such as an
// index row or a tsvector too large), not because of the server.
bool is_data_error(const Failure &f) {
    if (!f.server()) return false;
    const std::string &state = f.server()->sqlstate;
    return state.compare(0, 2, "22") == 0 || state.compare(0, 2, "23") == 0 || state.compare(0, 2, "54") == 0;
}

// When the set-based upsert fails on some row, finds the rows the server
// rejects by bisecting the staged lines, each part under a savepoint: k bad
// rows among n cost about 2k log2(n) attempts. The parts that succeed stay
// written; each rejected row is removed from the staging table and reported.
// Stops after the first rejected row when `all` is false (--on-error abort).
class RejectedRows {
public:
    RejectedRows(Connection &conn, const std::string &schema, bool all) : conn_(conn), schema_(schema), all_(all) {
        conn_.exec("CREATE INDEX ON clara_stream_staging (line)");
        conn_.exec("ANALYZE clara_stream_staging (line, document_id)");
    }

    void find(uint64_t lo, uint64_t hi) {
        if (!all_ && !rejected_.empty()) return;
        Result range = conn_.exec_params(
            "SELECT count(*), min(line), max(line) FROM clara_stream_staging WHERE line BETWEEN $1 AND $2",
            {std::to_string(lo), std::to_string(hi)});
        uint64_t rows = value(range, 0, 0);
        if (rows == 0) return;
        lo = value(range, 0, 1);
        hi = value(range, 0, 2);
        conn_.exec("SAVEPOINT clara_stream_part");
        try {
            Written w = write_staged(conn_, schema_, "s.line BETWEEN $1 AND $2",
                                     {std::to_string(lo), std::to_string(hi)});
            conn_.exec("RELEASE SAVEPOINT clara_stream_part");
            written_.inserted += w.inserted;
            written_.updated += w.updated;
            written_.edges_added += w.edges_added;
            written_.edges_removed += w.edges_removed;
            return;
        } catch (const Failure &f) {
            if (!is_data_error(f)) throw;
            conn_.exec("ROLLBACK TO SAVEPOINT clara_stream_part");
            conn_.exec("RELEASE SAVEPOINT clara_stream_part");
            throw_if_interrupted("load cancelled");
            if (rows == 1) {
                rejected_.push_back({lo, std::string("rejected by the server: ") + f.what()});
                conn_.exec_params("DELETE FROM clara_stream_staging WHERE line = $1", {std::to_string(lo)});
                return;
            }
        }
        uint64_t mid = lo + (hi - lo) / 2;
        find(lo, mid);
        find(mid + 1, hi);
    }

    const std::vector<InputError> &rejected() const { return rejected_; }
    const Written &written() const { return written_; }

private:
    Connection &conn_;
    const std::string &schema_;
    bool all_;
    std::vector<InputError> rejected_;
    Written written_;
};

// The input, line by line, through a 1 MiB buffer. A line longer than
// max_line is skipped without being held (getline kept any line whole:
// memory grew to ~4x the longest line, with no cap).
class LineReader {
public:
    enum class Read { line, too_long, end };

    LineReader(const std::string &path, size_t max_line)
        : name_(path == "-" ? "stdin" : path), max_line_(max_line), buffer_(kBuffer) {
        file_ = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
        if (file_ == nullptr) throw Failure(ExitCode::io, "cannot open " + path + ": " + std::strerror(errno));
    }
    ~LineReader() {
        if (file_ != stdin) std::fclose(file_);
    }
    LineReader(const LineReader &) = delete;
    LineReader &operator=(const LineReader &) = delete;

    // line: `line` is the next line (without '\n'), valid until the next
    // call; too_long: a line of `length` bytes was skipped; end: no more
    // input. Throws Failure(io) on a read error.
    Read next(std::string_view &line, uint64_t &length) {
        if (long_.capacity() > 4 * kBuffer) std::string().swap(long_);  // not kept after a long line
        long_.clear();
        length = 0;
        bool over = false, any = false;
        for (;;) {
            if (pos_ == end_ && !fill()) {
                if (!any) return Read::end;
                break;  // the last line has no '\n'
            }
            any = true;
            const char *start = buffer_.data() + pos_;
            size_t available = end_ - pos_;
            const char *newline = static_cast<const char *>(std::memchr(start, '\n', available));
            size_t n = newline ? static_cast<size_t>(newline - start) : available;
            length += n;
            pos_ += n + (newline ? 1 : 0);
            bytes_ += n + (newline ? 1 : 0);
            if (!over && length > max_line_) {
                over = true;
                std::string().swap(long_);
            } else if (!over && newline && long_.empty()) {
                line = std::string_view(start, n);  // the whole line is in the buffer
                return Read::line;
            } else if (!over) {
                long_.append(start, n);
            }
            if (newline) break;
        }
        if (over) return Read::too_long;
        line = long_;
        return Read::line;
    }
    uint64_t bytes() const { return bytes_; }
    // The bytes left to read when the input is a regular file (also stdin
    // redirected from one), else 0: the progress line's total.
    uint64_t size() const {
        struct stat st {};
        if (fstat(fileno(file_), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
        off_t at = ftello(file_);
        return static_cast<uint64_t>(st.st_size - (at > 0 ? at : 0));
    }

private:
    static constexpr size_t kBuffer = 1 << 20;

    bool fill() {
        pos_ = 0;
        end_ = std::fread(buffer_.data(), 1, buffer_.size(), file_);
        if (end_ == 0 && std::ferror(file_))
            throw Failure(ExitCode::io, "cannot read " + name_ + ": " + std::strerror(errno));
        return end_ > 0;
    }

    std::string name_;
    size_t max_line_;
    FILE *file_;
    std::vector<char> buffer_;
    size_t pos_ = 0, end_ = 0;
    std::string long_;  // a line that spans buffer refills
    uint64_t bytes_ = 0;
};

// Sends COPY data from a second thread, so that validating the next lines
// overlaps with the server ingesting the previous ones (alone, each side
// waits for the other: ~35 % slower on 2 KB documents). The thread owns the
// connection until finish(); the queue is bounded, so memory stays flat.
class CopySender {
public:
    explicit CopySender(Connection &conn) : conn_(conn), thread_(&CopySender::run, this) {}
    ~CopySender() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closed_ = true;
            queue_.clear();
        }
        changed_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    CopySender(const CopySender &) = delete;
    CopySender &operator=(const CopySender &) = delete;

    // Queues a chunk (waits while kMaxQueued are pending). Throws when
    // sending failed.
    void send(std::string &&chunk) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] {
            return queue_.empty() || (queue_.size() < kMaxQueued && queued_bytes_ < kMaxQueuedBytes) || failed_;
        });
        if (failed_) {
            lock.unlock();
            stop();
            throw conn_.failure(nullptr);
        }
        queued_bytes_ += chunk.size();
        queue_.push_back(std::move(chunk));
        changed_.notify_all();
    }

    // Waits until everything queued is sent and gives the connection back.
    void finish() {
        stop();
        if (failed_) throw conn_.failure(nullptr);
    }

private:
    static constexpr size_t kMaxQueued = 4;
    static constexpr size_t kMaxQueuedBytes = kMaxQueued * kCopyChunk;  // one long row alone may exceed it

    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closed_ = true;
        }
        changed_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    void run() {
        for (;;) {
            std::string chunk;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
                if (queue_.empty()) return;
                chunk = std::move(queue_.front());
                queue_.pop_front();
                queued_bytes_ -= chunk.size();
            }
            changed_.notify_all();
            if (PQputCopyData(conn_.get(), chunk.data(), static_cast<int>(chunk.size())) != 1) {
                std::lock_guard<std::mutex> lock(mutex_);
                failed_ = true;
                queue_.clear();
                changed_.notify_all();
                return;
            }
        }
    }

    Connection &conn_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> queue_;
    size_t queued_bytes_ = 0;
    bool closed_ = false, failed_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

void report(const std::vector<InputError> &errors, uint64_t total, const char *verb) {
    for (const InputError &e : errors)
        std::fprintf(stderr, "line %llu: %s\n", static_cast<unsigned long long>(e.line), e.reason.c_str());
    if (total > errors.size())
        std::fprintf(stderr, "... and %llu more %s lines\n", static_cast<unsigned long long>(total - errors.size()),
                     verb);
}

void load(const LoadOptions &opt) {
    LineReader input(opt.input, opt.max_line_bytes);
    Connection conn(opt.connection);
    std::string schema = conn.clara_schema();
    CancelOnSignal cancel(conn.get());
    const bool skip = opt.on_error == OnError::skip;

    conn.exec_params(kCheckClientConnection, {});
    conn.exec("BEGIN");
    // A created_at without a zone means UTC, whatever the server's TimeZone.
    conn.exec("SET LOCAL TimeZone = 'UTC'");
    conn.exec_params(kPreferLz4, {});
    conn.exec(kCreateStaging);
    conn.exec(kCreateStaged);
    // The stored documents' metadata types: a line giving a key another
    // type is a bad line (the server would refuse it too).
    MetadataTypeCheck metadata_types;
    // (An extension before 0.5.0 has no catalogue: the file's own lines only.)
    if (Result has = conn.exec_params("SELECT pg_catalog.to_regprocedure($1) IS NOT NULL",
                                      {schema + ".clara_metadata_types()"});
        std::strcmp(PQgetvalue(has.get(), 0, 0), "t") == 0) {
        Result stored = conn.exec_params("SELECT key, json_type FROM " + schema + ".clara_metadata_types()", {});
        for (int i = 0; i < PQntuples(stored.get()); ++i)
            metadata_types.add_stored(PQgetvalue(stored.get(), i, 0), PQgetvalue(stored.get(), i, 1));
    }
    conn.exec("COPY clara_stream_staging FROM STDIN", PGRES_COPY_IN);

    LoadDocument doc;
    std::vector<InputError> errors;
    uint64_t line_no = 0, read = 0, malformed = 0, warnings = 0;
    std::string buffer;
    buffer.reserve(kCopyChunk + (64 << 10));
    std::optional<CopySender> sender(std::in_place, conn);
    Progress progress(opt.quiet);
    if (uint64_t size = input.size(); size > 0) progress.set_total({ProgressTotal::Of::bytes, size});
    std::string_view line;
    uint64_t length = 0;
    for (LineReader::Read got; (got = input.next(line, length)) != LineReader::Read::end;) {
        ++line_no;
        std::string reason;
        if (got == LineReader::Read::too_long) {
            reason = "the line is " + std::to_string(length) + " bytes long (--max-line-bytes " +
                     std::to_string(opt.max_line_bytes) + ")";
        } else if (is_blank_line(line)) {
            continue;
        } else {
            reason = parse_load_document(line, doc);
        }
        ++read;
        if (!reason.empty()) {
            if (++malformed <= kMaxReported) errors.push_back({line_no, reason});
            continue;
        }
        MetadataTypeCheck::Verdict types = metadata_types.check(doc, line_no);
        if (!types.warning.empty() && ++warnings <= kMaxWarnings)
            std::fprintf(stderr, "clara-stream: warning: line %llu: %s\n", static_cast<unsigned long long>(line_no),
                         types.warning.c_str());
        if (!types.conflict.empty()) {
            if (++malformed <= kMaxReported) errors.push_back({line_no, std::move(types.conflict)});
            continue;
        }
        // With --on-error abort, one bad line means nothing is loaded: keep
        // validating (to report up to 10 errors) but stop sending.
        if (malformed > 0 && !skip) continue;
        append_copy_row(buffer, line_no, doc);
        if (line.size() > (4 << 20)) doc = LoadDocument();  // not kept after a long line
        if (buffer.size() >= kCopyChunk) {
            sender->send(std::move(buffer));
            buffer = std::string();
            buffer.reserve(kCopyChunk + (64 << 10));
        }
        if ((read & 1023) == 0) {
            throw_if_interrupted("load cancelled");
            progress.update(read, input.bytes());
        }
    }
    throw_if_interrupted("load cancelled");
    progress.finish();

    if (malformed > 0 && !skip) {
        sender.reset();  // drops what is queued
        PQputCopyEnd(conn.get(), "clara-stream: malformed input");
        report(errors, malformed, "malformed");
        throw Failure(ExitCode::bad_input, std::to_string(malformed) + " malformed line" + (malformed == 1 ? "" : "s") +
                                               " in " + (opt.input == "-" ? "stdin" : opt.input) +
                                               "; nothing loaded (--on-error skip loads the valid lines)");
    }
    if (!buffer.empty()) sender->send(std::move(buffer));
    sender->finish();
    if (PQputCopyEnd(conn.get(), nullptr) != 1) throw conn.failure(nullptr);
    Result copied(PQgetResult(conn.get()));
    if (PQresultStatus(copied.get()) != PGRES_COMMAND_OK) throw conn.failure(copied.get());
    while (Result extra{PQgetResult(conn.get())}) {
    }

    Result duplicates = conn.exec_params(kFindDuplicates, {});
    uint64_t duplicated = PQntuples(duplicates.get()) > 0 ? value(duplicates, 0, 3) : 0;
    if (duplicated > 0) {
        for (int i = 0; i < PQntuples(duplicates.get()); ++i)
            errors.push_back({value(duplicates, i, 0), std::string("duplicate document_id \"") +
                                                           PQgetvalue(duplicates.get(), i, 1) + "\" (first on line " +
                                                           PQgetvalue(duplicates.get(), i, 2) + ")"});
        std::sort(errors.begin(), errors.end(),
                  [](const InputError &a, const InputError &b) { return a.line < b.line; });
        if (errors.size() > kMaxReported) errors.resize(kMaxReported);
        if (!skip) {
            report(errors, duplicated, "duplicate");
            throw Failure(ExitCode::bad_input, std::to_string(duplicated) + " line" + (duplicated == 1 ? "" : "s") +
                                                   " repeat an earlier document_id; nothing loaded"
                                                   " (--on-error skip keeps the first)");
        }
        conn.exec(kDropDuplicates);
    }

    // Row count and document_id statistics: a hash join for 1M staged rows,
    // not a nested loop (no statistics on the wide content column).
    conn.exec("ANALYZE clara_stream_staging (document_id)");
    // All rows at once; only if the server rejects some row's data, again
    // part by part to find it (a savepoint keeps the staged rows).
    conn.exec("SAVEPOINT clara_stream_rows");
    Written written;
    uint64_t rejected = 0;
    try {
        written = write_staged(conn, schema, "true", {});
        conn.exec("RELEASE SAVEPOINT clara_stream_rows");
    } catch (const Failure &f) {
        if (!is_data_error(f)) throw;
        conn.exec("ROLLBACK TO SAVEPOINT clara_stream_rows");
        RejectedRows culprits(conn, schema, skip);
        culprits.find(0, line_no);
        written = culprits.written();
        rejected = culprits.rejected().size();
        errors.insert(errors.end(), culprits.rejected().begin(), culprits.rejected().end());
        std::sort(errors.begin(), errors.end(),
                  [](const InputError &a, const InputError &b) { return a.line < b.line; });
        if (errors.size() > kMaxReported) errors.resize(kMaxReported);
        if (rejected == 0) throw;  // not reproducible row by row: report it as it was
        if (!skip) {
            report(errors, rejected, "rejected");
            throw Failure(ExitCode::bad_input, "the server rejected line " +
                                                   std::to_string(culprits.rejected()[0].line) +
                                                   "; nothing loaded (--on-error skip loads the other lines)");
        }
    }
    uint64_t skipped = malformed + duplicated + rejected;
    if (skipped > 0) report(errors, skipped, "skipped");
    uint64_t inserted = written.inserted, updated = written.updated;
    uint64_t edges_added = written.edges_added, edges_removed = written.edges_removed;
    throw_if_interrupted("load cancelled");
    conn.exec("COMMIT");

    if (opt.quiet) return;
    uint64_t loaded = read - skipped;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opt.started).count();
    std::fprintf(stderr,
                 "clara-stream load: %llu read, %llu inserted, %llu updated, %llu unchanged, %llu skipped;"
                 " edges +%llu -%llu; %.2f s (%.0f docs/s)\n",
                 static_cast<unsigned long long>(read), static_cast<unsigned long long>(inserted),
                 static_cast<unsigned long long>(updated), static_cast<unsigned long long>(loaded - inserted - updated),
                 static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(edges_added),
                 static_cast<unsigned long long>(edges_removed), seconds, static_cast<double>(read) / seconds);
}

}  // namespace

void run_load(const LoadOptions &options) {
    try {
        load(options);
    } catch (const Failure &f) {
        // The transaction is rolled back when the connection closes.
        if (f.code() == ExitCode::interrupted || f.code() == ExitCode::terminated)
            throw Failure(f.code(), std::string(f.what()) + "; nothing loaded");
        throw;
    }
}

}  // namespace clara::cli
