#include "serve.hpp"

#include "connection_pool.hpp"
#include "core/http_request.hpp"
#include "http_server.hpp"
#include "jsonl_copy.hpp"
#include "stats.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <malloc.h>
#include <optional>
#include <pthread.h>
#include <sstream>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace clara::cli {

namespace {

using httplib::Request;
using httplib::Response;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Rows are sent in chunks of up to this size, or sooner when the database
// has nothing more buffered (so the first document leaves at once).
constexpr size_t kChunk = 64 << 10;
// How often a waiting handler looks at the server stopping.
constexpr int kPollMs = 200;
// How long stopping a COPY (cancel, drain, rollback) may take before its
// connection is closed instead of reused.
constexpr auto kAbandonGrace = std::chrono::seconds(5);
// The batch endpoint builds its answer in memory; larger results stream.
constexpr int kMaxSearchTopK = 10000;
constexpr const char *kApplicationName = "clara-stream serve";

const char *reason(int status) {
    switch (status) {
        case 400: return "bad request";
        case 401: return "unauthorized";
        case 404: return "not found";
        case 405: return "method not allowed";
        case 408: return "request timeout";
        case 413: return "request body too large";
        case 414: return "request URI too long";
        case 415: return "unsupported media type";
        case 416: return "range not satisfiable";
        case 503: return "service unavailable";
        default: return status >= 500 ? "internal server error" : "request failed";
    }
}

// The request body is left unread: answer, then close the connection (a
// lingering close, so the client still reads the answer).
void close_after(Response &res) {
    current_request().close_connection = true;
    res.set_header("Connection", "close");
}

void send_json(Response &res, int status, const json &body) {
    res.status = status;
    // replace: a message quoting bytes that are not UTF-8 (a server error
    // about the request) still becomes a valid JSON body, never an exception.
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// Every error before the first byte: {"error": "...", "field": "..." | null}.
void send_error(Response &res, int status, const std::string &message, const std::string &field = "") {
    json body = {{"error", message}, {"field", field.empty() ? json(nullptr) : json(field)}};
    send_json(res, status, body);
    if (status == 503) res.set_header("Retry-After", "1");
}

// A Failure from the database layer as status and body: the server's own
// message, SQLSTATE and hint for rejected arguments (400), 503 when the
// database cannot be reached or has no clara extension.
void send_failure(Response &res, const Failure &f) {
    if (const auto &d = f.server()) {
        int status = http_status_for_sqlstate(d->sqlstate);
        std::string field = status == 400 ? field_for_server_message(d->message) : "";
        json body = {
            {"error", d->message}, {"field", field.empty() ? json(nullptr) : json(field)}, {"sqlstate", d->sqlstate}};
        if (!d->detail.empty()) body["detail"] = d->detail;
        if (!d->hint.empty()) body["hint"] = d->hint;
        send_json(res, status, body);
        if (status == 503) res.set_header("Retry-After", "1");
        return;
    }
    switch (f.code()) {
        case ExitCode::connection: send_error(res, 503, std::string("database unavailable: ") + f.what()); break;
        case ExitCode::extension_missing: send_error(res, 503, f.what()); break;
        default: send_error(res, 500, f.what());
    }
}

std::string read_token_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure(ExitCode::usage, "--token-file " + path + ": cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos)
        throw Failure(ExitCode::usage, "--token-file " + path + ": expected one token on one line");
    return token;
}

// "2025-01-31T12:00:00.123Z"
std::string utc_now() {
    timeval tv;
    gettimeofday(&tv, nullptr);
    std::tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char buf[40];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(tv.tv_usec / 1000));
    return buf;
}

// One export in flight, shared by the handler (until the first document)
// and the content provider (after it). Destroyed with the response: a COPY
// that did not finish is cancelled, and the connection goes back to the pool.
// Bytes a stream's client took in each of the last seconds: its reading
// rate over a few seconds, so the first second's burst into empty socket
// buffers does not count for long.
class RateWindow {
public:
    static constexpr int kSeconds = 5;

    void add(uint64_t bytes, Clock::time_point now) {
        if (!start_) start_ = now;
        roll(now);
        counts_[static_cast<size_t>(second_ % (kSeconds + 1))] += bytes;
    }
    // Bytes per second over the last kSeconds whole seconds, or -1 until the
    // first write is that old (the ranking before it does not count).
    double rate(Clock::time_point now) {
        if (!start_) return -1.0;
        roll(now);
        if (second_ < kSeconds) return -1.0;
        uint64_t sum = 0;
        for (int i = 1; i <= kSeconds; ++i) sum += counts_[static_cast<size_t>((second_ - i) % (kSeconds + 1))];
        return static_cast<double>(sum) / kSeconds;
    }

private:
    void roll(Clock::time_point now) {
        long long s = std::chrono::duration_cast<std::chrono::seconds>(now - *start_).count();
        if (s - second_ > kSeconds) second_ = s - kSeconds - 1;  // everything older is zeroed below
        for (; second_ < s; ++second_) counts_[static_cast<size_t>((second_ + 1) % (kSeconds + 1))] = 0;
    }
    std::optional<Clock::time_point> start_;  // the first write
    long long second_ = 0;
    uint64_t counts_[kSeconds + 1] = {};
};

struct StreamJob {
    explicit StreamJob(ConnectionPool::Lease l) : lease(std::move(l)) {}
    ~StreamJob() {
        if (copy && !copy->abandon(Clock::now() + kAbandonGrace)) lease.discard();
        copy.reset();
    }
    ConnectionPool::Lease lease;
    std::optional<JsonlCopy> copy;
    std::string buffer;                         // documents read from libpq, not written yet
    RateWindow rate;                            // what the client took, per second
    Clock::time_point progress = Clock::now();  // last write, or the client's queue last shrank
    size_t room_seen = 0;                       // the socket's free space then
};

// How much of buffer (whole lines) to send now: all that fits in the
// client's socket, so a stream that has to end (server stopping, a slow
// reader while others wait) ends between two lines. 0: wait for room. A
// line longer than the whole socket buffer goes alone, blocking.
size_t first_line(const std::string &buffer) {
    size_t end = buffer.find('\n');
    return end == std::string::npos ? buffer.size() : end + 1;
}

size_t sendable(const std::string &buffer, HttpServer::Room room) {
    if (room.capacity == 0 || buffer.size() <= room.free) return buffer.size();
    size_t end = room.free == 0 ? std::string::npos : buffer.rfind('\n', room.free - 1);
    if (end != std::string::npos) return end + 1;
    return first_line(buffer) > room.capacity ? first_line(buffer) : 0;
}

enum class Fill { data, waiting, finished };

// Moves documents from libpq into the job's buffer without blocking, up to
// one chunk. Throws Failure for a server error.
Fill fill(StreamJob &job) {
    while (job.buffer.size() < kChunk) {
        switch (job.copy->next()) {
            case JsonlCopy::Status::row: job.buffer.append(job.copy->data(), job.copy->size()); break;
            case JsonlCopy::Status::waiting: return job.buffer.empty() ? Fill::waiting : Fill::data;
            case JsonlCopy::Status::finished: return job.buffer.empty() ? Fill::finished : Fill::data;
        }
    }
    return Fill::data;
}

}  // namespace

class Service {
public:
    Service(const ServeOptions &opt, HttpServer &server)
        : opt_(opt),
          server_(server),
          pool_(opt.connection, static_cast<size_t>(opt.pool_size), kApplicationName),
          pool_wait_(static_cast<long long>(opt.pool_wait * 1000)) {
        if (!opt.token_file.empty()) token_ = read_token_file(opt.token_file);
    }

    ConnectionPool &pool() { return pool_; }

    void install() {
        server_.Post("/api/datasets/stream",
                     [this](const Request &req, Response &res, const httplib::ContentReader &reader) {
                         stream(req, res, reader);
                     });
        server_.Post("/api/datasets/search",
                     [this](const Request &req, Response &res, const httplib::ContentReader &reader) {
                         search(req, res, reader);
                     });
        server_.Get("/api/datasets/stats", [this](const Request &req, Response &res) { stats(req, res); });
        server_.Get("/health", [this](const Request &req, Response &res) { health(req, res); });
        auto post_only = [](const Request &, Response &res) {
            res.set_header("Allow", "POST");
            send_error(res, 405, "use POST");
        };
        auto get_only = [](const Request &, Response &res) {
            res.set_header("Allow", "GET");
            send_error(res, 405, "use GET");
        };
        server_.Get("/api/datasets/(stream|search)", post_only);
        server_.Post("/api/datasets/stats|/health", get_only);
        for (const char *path : {"/api/datasets/(stream|search)", "/api/datasets/stats|/health"}) {
            auto handler = std::string(path).find("stats") == std::string::npos ? post_only : get_only;
            server_.Put(path, handler);
            server_.Delete(path, handler);
            server_.Patch(path, handler);
            server_.Options(path, handler);
        }

        // curl sends "Expect: 100-continue" before a larger body: refuse
        // before it is sent when the answer is already clear.
        server_.set_expect_100_continue_handler([this](const Request &req, Response &res) {
            if (req.method == "POST" && is_dataset_post(req.path) && !precheck(req, res)) {
                close_after(res);  // in case the client sends the body anyway
                return res.status;
            }
            return 100;
        });
        server_.set_error_handler(httplib::Server::HandlerWithResponse([](const Request &, Response &res) {
            // A request line or header the parser refused (400, 414, an
            // oversized header): what follows on the connection is the rest
            // of that request, never a next one. Close it after the answer.
            if (!current_request().active) close_after(res);
            if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
            send_error(res, res.status, reason(res.status));
            return httplib::Server::HandlerResponse::Handled;
        }));
        server_.set_exception_handler([](const Request &, Response &res, const std::exception_ptr &ep) {
            std::string what = "unknown exception";
            try {
                std::rethrow_exception(ep);
            } catch (const std::exception &e) {
                what = e.what();
            } catch (...) {
            }
            current_request().outcome = "internal error: " + what;
            send_error(res, 500, "internal error: " + what);
        });
        server_.set_logger([](const Request &req, const Response &res) { log_request(req, res); });
    }

private:
    static bool is_dataset_post(const std::string &path) {
        return path == "/api/datasets/stream" || path == "/api/datasets/search";
    }

    // The bearer token, when --token-file is set.
    bool authorized(const Request &req, Response &res) const {
        if (token_.empty()) return true;
        const std::string header = req.get_header_value("Authorization");
        const std::string scheme = "bearer ";
        bool bearer = header.size() > scheme.size() &&
                      std::equal(scheme.begin(), scheme.end(), header.begin(),
                                 [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
        if (!bearer) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"clara\"");
            send_error(res, 401, "missing bearer token (Authorization: Bearer <token>)", "Authorization");
            return false;
        }
        std::string_view given(header);
        given.remove_prefix(scheme.size());
        while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
        while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
        if (!tokens_equal(given, token_)) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"clara\", error=\"invalid_token\"");
            send_error(res, 401, "invalid bearer token", "Authorization");
            return false;
        }
        return true;
    }

    // What can be decided from the headers alone: token, type, size.
    bool precheck(const Request &req, Response &res) const {
        if (!authorized(req, res)) return false;
        std::string type = req.get_header_value("Content-Type");
        type = type.substr(0, type.find(';'));
        while (!type.empty() && type.back() == ' ') type.pop_back();
        std::transform(type.begin(), type.end(), type.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (type != "application/json") {
            send_error(res, 415,
                       "Content-Type must be application/json, not " +
                           (type.empty() ? std::string("missing") : "\"" + type + "\""),
                       "Content-Type");
            return false;
        }
        if (req.has_header("Content-Length") &&
            req.get_header_value<uint64_t>("Content-Length") > static_cast<uint64_t>(opt_.max_body)) {
            send_error(res, 413, "request body larger than " + std::to_string(opt_.max_body) + " bytes");
            return false;
        }
        return true;
    }

    // Headers, body and the seed's JSON; false after answering with an error.
    bool read_request(const Request &req, Response &res, const httplib::ContentReader &reader,
                      DatasetRequest &parsed) const {
        if (!precheck(req, res)) {
            close_after(res);
            return false;
        }
        std::string body;
        bool too_large = false;
        bool complete = reader([&](const char *data, size_t size) {
            if (body.size() + size > opt_.max_body) {
                too_large = true;
                return false;
            }
            body.append(data, size);
            return true;
        });
        if (too_large) {
            send_error(res, 413, "request body larger than " + std::to_string(opt_.max_body) + " bytes");
            close_after(res);
            return false;
        }
        if (!complete && current_request().read_timed_out) {
            send_error(res, 408,
                       "request body not received within " + std::to_string(opt_.request_timeout) + " seconds");
            close_after(res);
            return false;
        }
        if (!complete) {
            send_error(res, res.status == 415 ? 415 : 400, "the request body could not be read");
            close_after(res);
            return false;
        }
        try {
            parsed = parse_dataset_request(body);
        } catch (const RequestError &e) {
            send_error(res, 400, e.what(), e.field());
            return false;
        }
        return true;
    }

    std::optional<ConnectionPool::Lease> borrow(Response &res, std::chrono::milliseconds wait) {
        try {
            return pool_.acquire(wait);
        } catch (const PoolExhausted &e) {
            send_error(res, 503, e.what());
        } catch (const Failure &f) {
            send_failure(res, f);
        }
        return std::nullopt;
    }

    void stream(const Request &req, Response &res, const httplib::ContentReader &reader) {
        RequestRecord &record = current_request();
        DatasetRequest r;
        if (!read_request(req, res, reader, r)) return;
        std::optional<ConnectionPool::Lease> lease = borrow(res, pool_wait_);
        if (!lease) return;
        auto job = std::make_shared<StreamJob>(std::move(*lease));
        // Until the first document (or the end, or an error) the status is
        // still open: argument errors become 400, not a broken stream.
        try {
            job->copy.emplace(job->lease.connection(), job->lease.schema(), r.search, r.batch_size);
            while (fill(*job) == Fill::waiting) {
                HttpServer::Wait w = HttpServer::wait_for(job->copy->socket(), kPollMs);
                if (w == HttpServer::Wait::client_gone) {
                    record.outcome = "client closed the connection before the first document";
                    send_error(res, 499, record.outcome);  // nginx's "client closed request", for the log
                    return;                                // the job's destructor cancels the query
                }
                if (server_.aborting()) {
                    send_error(res, 503, "server is shutting down");
                    return;
                }
            }
        } catch (const Failure &f) {
            send_failure(res, f);
            return;
        }

        res.status = 200;
        res.set_header("Content-Disposition", "attachment; filename=\"" + attachment_filename(r.name) + "\"");
        res.set_header("Cache-Control", "no-store");
        res.set_header("X-Content-Type-Options", "nosniff");
        // One chunk per call, written only when the socket takes it: a slow
        // reader stops the reads from libpq, so the server's COPY waits on a
        // full socket too. Chunks are whole lines, no more than the socket
        // takes at once, so a stream that has to end early ends between two
        // lines. Returning false aborts the response: the connection closes
        // without the terminating chunk, and the client sees an incomplete
        // transfer, never an error line in the data.
        record.streaming = true;
        res.set_chunked_content_provider("application/x-ndjson", [this, job](size_t, httplib::DataSink &sink) {
            RequestRecord &rec = current_request();
            try {
                for (;;) {
                    if (server_.aborting()) {
                        rec.outcome = "aborted: server stopping";
                        return false;
                    }
                    Clock::time_point now = Clock::now();
                    if (opt_.min_rate > 0 && pool_.waiting() > 0) {
                        double rate = job->rate.rate(now);
                        if (rate >= 0 && rate < static_cast<double>(opt_.min_rate)) {
                            char why[160];
                            std::snprintf(why, sizeof why,
                                          "aborted: client read %.0f bytes/s (< --min-rate %zu) while a request "
                                          "waited for a database connection",
                                          rate, opt_.min_rate);
                            rec.outcome = why;
                            return false;
                        }
                    }
                    Fill f = fill(*job);
                    if (f == Fill::finished) {
                        sink.done();
                        rec.finished = true;
                        return true;
                    }
                    if (f == Fill::waiting) {
                        if (HttpServer::wait_for(job->copy->socket(), kPollMs) == HttpServer::Wait::client_gone) {
                            rec.outcome = "aborted: client closed the connection";
                            return false;
                        }
                        continue;
                    }
                    HttpServer::Room room = HttpServer::send_room();
                    size_t n = sendable(job->buffer, room);
                    if (n == 0) {
                        // The client's socket is full: wait for it to take
                        // more. A client reading slowly is waited for as long
                        // as it reads at all.
                        if (room.free > job->room_seen) job->progress = now;
                        job->room_seen = room.free;
                        HttpServer::Wait w = HttpServer::wait_writable(kPollMs);
                        if (w == HttpServer::Wait::client_gone) {
                            rec.outcome = "aborted: client closed the connection";
                            return false;
                        }
                        if (now - job->progress > server_.stall_timeout()) {
                            rec.outcome = "aborted: client gone (write failed or stalled)";
                            return false;
                        }
                        if (w == HttpServer::Wait::timeout) continue;
                        // The kernel takes more than the estimate said: one
                        // line, however long it takes to go out.
                        n = first_line(job->buffer);
                    }
                    if (!sink.write(job->buffer.data(), n)) {
                        rec.outcome = server_.aborting() ? "aborted: server stopping"
                                                         : "aborted: client gone (write failed or stalled)";
                        return false;
                    }
                    rec.bytes += n;
                    rec.rows += static_cast<uint64_t>(std::count(job->buffer.begin(), job->buffer.begin() + n, '\n'));
                    job->buffer.erase(0, n);
                    job->progress = Clock::now();
                    job->room_seen = 0;
                    job->rate.add(n, job->progress);
                    return true;
                }
            } catch (const std::exception &e) {
                rec.outcome = std::string("aborted: ") + e.what();
                return false;
            }
        });
    }

    void search(const Request &req, Response &res, const httplib::ContentReader &reader) {
        DatasetRequest r;
        if (!read_request(req, res, reader, r)) return;
        if (r.training) {
            send_error(res, 400, "training applies to POST /api/datasets/stream (the lines it writes), not to /search",
                       "training");
            return;
        }
        if (r.search.top_k > kMaxSearchTopK) {
            send_error(res, 400,
                       "search_query.top_k must be at most " + std::to_string(kMaxSearchTopK) +
                           " here (the answer is built in memory); POST /api/datasets/stream streams any number",
                       "search_query.top_k");
            return;
        }
        std::optional<ConnectionPool::Lease> lease = borrow(res, pool_wait_);
        if (!lease) return;
        const SearchArguments &s = r.search;
        try {
            Result result = lease->connection().exec_params(
                "SELECT pg_catalog.count(*),"
                " COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
                "'rank', s.rank, 'document_id', s.document_id, 'content', s.content, 'metadata', s.metadata,"
                " 'source', s.source, 'quality_score', s.quality_score, 'relevance_score', s.relevance_score)"
                " ORDER BY s.rank), '[]')"
                " FROM " +
                    lease->schema() +
                    ".clara_search($1, $2::integer, $3::double precision, $4::jsonb,"
                    " pg_catalog.string_to_array($5, ','), $6::jsonb) s",
                {s.query, std::to_string(s.top_k), exact_double(s.min_quality), s.filters_json, s.search_types,
                 s.weights_json});
            std::string total = PQgetvalue(result.get(), 0, 0);
            std::string body = "{\"name\":" + json(r.name).dump(-1, ' ', false, json::error_handler_t::replace) +
                               ",\"total\":" + total + ",\"documents\":" + PQgetvalue(result.get(), 0, 1) + "}";
            current_request().rows = std::stoull(total);
            // libpq keeps its input buffer at the largest message it read
            // (the whole answer): a connection that read a large one is
            // closed instead of kept, so the pool does not hold it.
            if (body.size() > (4u << 20)) lease->discard();
            // Debian's cpp-httplib (0.11) copies; later ones take the string by rvalue.
            res.set_content(std::move(body), "application/json");  // NOLINT(performance-move-const-arg)
        } catch (const Failure &f) {
            send_failure(res, f);
        }
    }

    void stats(const Request &req, Response &res) {
        if (!authorized(req, res)) return;
        SearchArguments s;
        try {
            std::vector<std::pair<std::string, std::string>> params(req.params.begin(), req.params.end());
            s = parse_stats_parameters(params);
        } catch (const RequestError &e) {
            send_error(res, 400, e.what(), e.field());
            return;
        }
        std::optional<ConnectionPool::Lease> lease = borrow(res, pool_wait_);
        if (!lease) return;
        try {
            Result result = lease->connection().exec_params(stats_statement(lease->schema()), stats_parameters(s));
            res.set_content(PQgetvalue(result.get(), 0, 0), "application/json");  // the server's JSON, unchanged
        } catch (const Failure &f) {
            send_failure(res, f);
        }
    }

    // No token needed: says whether the database answers, nothing about the data.
    void health(const Request &, Response &res) {
        json pool = {{"size", pool_.size()}, {"in_use", pool_.in_use()}};
        try {
            ConnectionPool::Lease lease = pool_.acquire(std::chrono::seconds(1));
            Result r = lease.connection().exec_params(
                "SELECT e.extversion, pg_catalog.current_setting('server_version') FROM pg_catalog.pg_extension e"
                " WHERE e.extname = 'clara'",
                {});
            if (PQntuples(r.get()) == 0) throw Failure(ExitCode::extension_missing, "the clara extension was dropped");
            send_json(res, 200,
                      {{"status", "ok"},
                       {"database", "reachable"},
                       {"extension_version", PQgetvalue(r.get(), 0, 0)},
                       {"server_version", PQgetvalue(r.get(), 0, 1)},
                       {"pool", pool}});
            return;
        } catch (const PoolExhausted &e) {
            send_json(res, 503, {{"status", "busy"}, {"error", e.what()}, {"pool", pool}});
        } catch (const Failure &f) {
            send_json(res, 503, {{"status", "unavailable"}, {"error", f.what()}, {"pool", pool}});
        }
        res.set_header("Retry-After", "1");
    }

    // Text in the log: control bytes and DEL as \\xNN, so a path with %0A
    // (decoded by the parser) cannot forge or split log lines; for the
    // request's own fields also spaces and '\\', so fields stay separated.
    static std::string log_text(std::string_view text, bool field) {
        if (field && text.empty()) return "-";
        std::string out;
        out.reserve(text.size());
        for (unsigned char c : text) {
            if (c < 0x20 || c == 0x7f || (field && (c == ' ' || c == '\\'))) {
                char esc[5];
                std::snprintf(esc, sizeof esc, "\\x%02x", c);
                out += esc;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        return out;
    }

    // time, remote, method path, status, rows, bytes, ms [, why it ended early]
    static void log_request(const Request &req, const Response &res) {
        RequestRecord &rec = current_request();
        double ms = rec.active ? std::chrono::duration<double, std::milli>(Clock::now() - rec.started).count() : 0.0;
        uint64_t bytes = res.content_provider_ ? rec.bytes : res.body.size();
        // A request line that did not parse has no address, method or path yet.
        std::string remote = req.remote_addr.empty() ? "-" : req.remote_addr + ":" + std::to_string(req.remote_port);
        std::string line = utc_now() + " " + remote + " " + log_text(req.method, true) + " " +
                           log_text(req.path, true) + " " + std::to_string(res.status) +
                           " rows=" + std::to_string(rec.rows) + " bytes=" + std::to_string(bytes);
        char tail[32];
        std::snprintf(tail, sizeof tail, " ms=%.1f", ms);
        line += tail;
        // cpp-httplib ends a chunked body quietly when the server stops
        // between two chunks (it does not call the provider again): the
        // client gets no terminating chunk, and the log says why.
        if (rec.streaming && !rec.finished && rec.outcome.empty()) rec.outcome = "aborted: server stopping";
        if (!rec.outcome.empty()) line += " " + log_text(rec.outcome, false);
        line += "\n";
        std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line, whole under concurrency
        rec.active = false;
    }

    const ServeOptions &opt_;
    HttpServer &server_;
    ConnectionPool pool_;
    std::chrono::milliseconds pool_wait_;
    std::string token_;
};

std::shared_ptr<Service> install_service(const ServeOptions &opt, HttpServer &server) {
    auto service = std::make_shared<Service>(opt, server);
    service->install();
    server.set_payload_max_length(opt.max_body);
    server.set_stall_timeout(std::chrono::seconds(opt.stall_timeout));
    server.set_request_timeout(std::chrono::seconds(opt.request_timeout));
    server.on_request_timeout = [](const std::string &remote, double ms) {
        char line[160];
        std::snprintf(line, sizeof line, "%s %s - - 408 rows=0 bytes=0 ms=%.1f request headers not received in time\n",
                      utc_now().c_str(), remote.c_str(), ms);
        std::fputs(line, stderr);
    };
    return service;
}

void run_serve(const ServeOptions &opt) {
    ListenAddress address;
    try {
        address = parse_listen_address(opt.listen);
    } catch (const RequestError &e) {
        throw Failure(ExitCode::usage, e.what());
    }
    if (opt.pool_size < 1 || opt.workers < opt.pool_size)
        throw Failure(ExitCode::usage, "--workers must be at least --pool-size (each statement runs on a worker)");

    // SIGINT/SIGTERM go to one thread (blocked everywhere else, before any
    // thread starts), which stops the server: running streams are aborted,
    // their queries cancelled. A second signal exits at once.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // Answers built in memory (/search: up to tens of MB) are malloc'd on
    // the worker's thread. glibc raises its mmap threshold after the first
    // such free, and later ones stay in that thread's arena for good (64
    // workers: up to 64 copies). A fixed threshold keeps every block over
    // 1 MB mmap'd, returned to the system when freed.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);

    HttpServer server;
    std::shared_ptr<Service> service = install_service(opt, server);
    size_t workers = static_cast<size_t>(opt.workers);
    server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };

    // A wrong DSN is a usage error now; an unreachable database is not
    // fatal (the server answers 503 until it is back).
    try {
        ConnectionPool::Lease first = service->pool().acquire(std::chrono::seconds(1));
    } catch (const Failure &f) {
        if (f.code() == ExitCode::usage) throw;
        std::fprintf(stderr, "clara-stream serve: warning: %s (answering 503 until it works)\n", f.what());
    }

    int port = server.bind(address.host, address.port);
    if (port < 0) throw Failure(ExitCode::io, "cannot listen on " + opt.listen + " (address in use or not local?)");
    std::string shown = address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
    std::fprintf(stderr, "clara-stream serve: listening on http://%s:%d (%d database connections, %zu workers%s)\n",
                 shown.c_str(), port, opt.pool_size, workers, opt.token_file.empty() ? "" : ", bearer token required");

    std::thread([&server, stop_signals, grace = opt.shutdown_grace] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        std::fprintf(stderr, "clara-stream serve: %s, stopping (running requests have %d s to finish)\n",
                     sig == SIGINT ? "SIGINT" : "SIGTERM", grace);
        server.stop_after(std::chrono::seconds(grace));
        sigwait(&stop_signals, &sig);
        _exit(128 + sig);
    }).detach();

    server.listen_after_bind();
    std::fprintf(stderr, "clara-stream serve: stopped\n");
}

}  // namespace clara::cli
