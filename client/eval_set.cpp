#include "eval_set.hpp"

#include "connection.hpp"
#include "exit_code.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

namespace clara::cli {

namespace {

constexpr size_t kBatchTexts = 1000;     // texts per INSERT
constexpr size_t kBatchBytes = 8 << 20;  // or fewer, when they are long
constexpr int kMaxDepth = 64;            // nesting allowed in a line (nlohmann recurses per level)

struct DepthExceeded {};

// The "text" of one line, or an error naming the line.
std::string text_of(const std::string &line, size_t number) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(line, [](int depth, nlohmann::json::parse_event_t, nlohmann::json &) {
            if (depth > kMaxDepth) throw DepthExceeded{};
            return true;
        });
    } catch (const DepthExceeded &) {
        throw Failure(ExitCode::bad_input, "line " + std::to_string(number) + ": nested deeper than " +
                                               std::to_string(kMaxDepth) + " levels");
    } catch (const nlohmann::json::exception &e) {
        throw Failure(ExitCode::bad_input, "line " + std::to_string(number) + ": not JSON (" + e.what() + ")");
    }
    if (!doc.is_object() || !doc.contains("text") || !doc["text"].is_string())
        throw Failure(ExitCode::bad_input, "line " + std::to_string(number) + ": needs a \"text\" string field");
    return doc["text"].get<std::string>();
}

}  // namespace

void run_eval_set_register(const EvalSetOptions &opt) {
    std::ifstream file;
    std::istream *in = &std::cin;
    if (opt.input != "-") {
        file.open(opt.input, std::ios::binary);
        if (!file) throw Failure(ExitCode::io, "cannot open " + opt.input + ": " + std::strerror(errno));
        in = &file;
    }
    Connection conn(opt.connection);
    const std::string schema = conn.clara_schema();
    conn.exec("BEGIN");
    conn.exec("CREATE TEMP TABLE clara_stream_eval_texts (text text) ON COMMIT DROP");
    // Batches travel as a JSON array parameter: no escaping, bounded memory.
    const std::string insert =
        "INSERT INTO pg_temp.clara_stream_eval_texts (text) SELECT pg_catalog.jsonb_array_elements_text($1::jsonb)";
    nlohmann::json batch = nlohmann::json::array();
    size_t batch_bytes = 0, texts = 0, number = 0;
    auto flush = [&] {
        if (batch.empty()) return;
        conn.exec_params(insert, {batch.dump()});
        batch = nlohmann::json::array();
        batch_bytes = 0;
    };
    std::string line;
    while (std::getline(*in, line)) {
        number++;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::string text = text_of(line, number);
        batch_bytes += text.size();
        batch.push_back(std::move(text));
        texts++;
        if (batch.size() >= kBatchTexts || batch_bytes >= kBatchBytes) flush();
    }
    if (in->bad()) throw Failure(ExitCode::io, "cannot read " + opt.input + ": " + std::strerror(errno));
    flush();
    if (texts == 0) throw Failure(ExitCode::bad_input, opt.input + ": no evaluation texts");
    const std::string source = "file " + (opt.input == "-" ? std::string("(stdin)") : opt.input);
    Result r = conn.exec_params(
        "SELECT " + schema +
            ".clara_register_eval_set($1, 'pg_temp.clara_stream_eval_texts'::pg_catalog.regclass,"
            " 'text', $2::integer, $3)::text",
        {opt.name, std::to_string(opt.n), source});
    const std::string description = PQgetvalue(r.get(), 0, 0);
    conn.exec("COMMIT");
    if (!opt.quiet) {
        nlohmann::json d = nlohmann::json::parse(description);
        std::fprintf(stderr, "clara-stream: registered evaluation set \"%s\": %lld texts, %lld grams of %d words\n",
                     opt.name.c_str(), d.value("texts", 0LL), d.value("grams", 0LL), opt.n);
    }
}

void run_eval_set_drop(const EvalSetOptions &opt) {
    Connection conn(opt.connection);
    const std::string schema = conn.clara_schema();
    Result r = conn.exec_params("SELECT " + schema + ".clara_unregister_eval_set($1)", {opt.name});
    if (std::strcmp(PQgetvalue(r.get(), 0, 0), "t") != 0)
        throw Failure(ExitCode::usage, "evaluation set \"" + opt.name + "\" is not registered");
    if (!opt.quiet) std::fprintf(stderr, "clara-stream: dropped evaluation set \"%s\"\n", opt.name.c_str());
}

}  // namespace clara::cli
