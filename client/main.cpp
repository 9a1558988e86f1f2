// clara-stream: export training JSONL from the clara extension, load a
// corpus, print statistics, generate a sample corpus.
//
//   clara-stream --query Q --output FILE [...]     export (the seed's flags)
//   clara-stream load FILE.jsonl [--on-error abort|skip] [--max-line-bytes N]
//   clara-stream stats --query Q [export flags] [--json]
//   clara-stream generate --docs N [--seed S] [--output FILE|-] [--truth FILE]
//   clara-stream serve [--listen HOST:PORT] [--pool-size N] [--token-file F] [...]
//   clara-stream exports [--drop NAME] [--json]     the export ledger (--record)
//   clara-stream validate FILE|DIR [--json]         one shape on every line of a dataset
// Every subcommand that connects: [-h HOST] [-p PORT] [-U USER] [-d DB] [--dsn DSN].
//
// Exit codes: exit_code.hpp (and docs/cli.md; --help prints them).
#include "batch_size.hpp"
#include "connection.hpp"
#include "core/arguments.hpp"
#include "exit_code.hpp"
#include "eval_set.hpp"
#include "export.hpp"
#include "exports.hpp"
#include "generate.hpp"
#include "interrupt.hpp"
#include "load.hpp"
#include "serve.hpp"
#include "stats.hpp"
#include "validate.hpp"

#include <CLI/CLI.hpp>

#include <climits>
#include <cstdio>
#include <map>

namespace {

using namespace clara::cli;

// One version number for the extension, this client and the Python package:
// clara.control's default_version, passed in by the Makefile.
#ifndef CLARA_VERSION
#error "CLARA_VERSION is clara.control's default_version: build with make client"
#endif
constexpr const char *kVersion = "clara-stream " CLARA_VERSION;

// The search flags export and stats share.
struct SearchFlags {
    std::string query;
    int top_k = 1000;
    double min_quality = 0.5;
    std::optional<std::string> domain;
    std::vector<std::string> filters;
    std::optional<std::string> search_types;
    std::optional<std::string> weights;

    void add_to(CLI::App &app) {
        app.add_option("-q,--query", query, "Search text (German or English)");
        app.add_option("-k,--top-k", top_k, "Maximum number of documents")
            ->capture_default_str()
            ->check(CLI::Range(1, INT_MAX));
        app.add_option("--min-quality", min_quality, "Keep documents with quality_score >= X (0..1)")
            ->capture_default_str()
            ->check(CLI::Range(0.0, 1.0));
        app.add_option("--domain", domain, "Only this domain (same as --filter domain=D)");
        app.add_option("--filter", filters,
                       "Filter key=value, repeatable; the value is read as JSON when it parses, else as a string "
                       "(keys: domain, document_type, source, created_after, created_before, metadata)")
            ->type_size(1)
            ->allow_extra_args(false);
        app.add_option("--search-types", search_types, "Comma list of keyword,vector,graph (default: the server's)");
        app.add_option("--weights", weights, "Fusion weights per search type, e.g. keyword=1,vector=0.5");
    }

    SearchArguments resolve() const {
        SearchArguments a;
        a.query = query;
        a.top_k = top_k;
        a.min_quality = min_quality;
        a.filters_json = build_filters_json(domain, filters);
        if (search_types) a.search_types = normalize_search_types(*search_types);
        if (weights) a.weights_json = build_weights_json(*weights);
        return a;
    }
};

// The training flags export and stats share: what shapes the lines an
// export writes, so stats counts what that export would write.
struct TrainingFlags {
    std::optional<std::string> tokenizer;
    std::optional<int> chunk_tokens;
    int chunk_overlap = 0;
    std::string format = "raw";
    std::optional<std::string> prompt_template, text_template;
    std::optional<std::string> split;
    long long split_seed = 0;
    std::optional<long long> token_budget;
    std::optional<std::string> dedup;
    std::vector<std::string> exclude;
    bool no_held_out_exclusion = false;
    std::vector<std::string> decontaminate;
    bool decontaminate_report = false;

    void add_to(CLI::App &app) {
        app.add_option("--tokenizer", tokenizer,
                       "Your model's tokenizer: a local tokenizer.json, tiktoken or SentencePiece .model file (sent "
                       "to the server and registered under its sha256), or the name of one registered with "
                       "clara_register_tokenizer");
        app.add_option("--chunk-tokens", chunk_tokens,
                       "Cut documents into chunks of at most N tokens of --tokenizer, one line each")
            ->check(CLI::Range(16, 1000000));
        app.add_option("--chunk-overlap", chunk_overlap, "Tokens consecutive chunks share (less than half of N)")
            ->capture_default_str()
            ->check(CLI::Range(0, 500000));
        app.add_option("--format", format, "Line shape: raw, text, messages, prompt-completion, alpaca")
            ->capture_default_str()
            ->check(CLI::IsMember({"raw", "text", "messages", "prompt-completion", "alpaca"}));
        app.add_option("--prompt-template", prompt_template,
                       "The prompt of messages / prompt-completion / alpaca lines (default \"{title}\"); "
                       "placeholders {title} {text} {query} {document_id} {source} {domain} {document_type}");
        app.add_option("--text-template", text_template,
                       "The text of --format text lines (default \"{title}\\n\\n{text}\")");
        app.add_option("--split", split,
                       "Named splits and their fractions, e.g. validation=0.02,test=0.01 (train takes the rest); "
                       "each line's metadata.split names its document's split");
        app.add_option("--split-seed", split_seed, "Seed of the split hash: the same seed, the same splits")
            ->capture_default_str();
        app.add_option("--token-budget", token_budget,
                       "Stop before the line that would take the export past N tokens of --tokenizer "
                       "(best-ranked first)")
            ->check(CLI::Range(1LL, LLONG_MAX));
        app.add_option("--dedup", dedup,
                       "Duplicates go out once, as their best-ranked copy: exact (same normalised text), near "
                       "(MinHash) or none; each line's metadata.dup_cluster_size counts its cluster")
            ->check(CLI::IsMember({"exact", "near", "none"}));
        app.add_option("--exclude", exclude,
                       "Keep out the documents of a recorded export, NAME or NAME:split (e.g. run1:validation); "
                       "repeatable; matched by document_id or content hash")
            ->type_size(1)
            ->allow_extra_args(false);
        app.add_flag("--no-held-out-exclusion", no_held_out_exclusion,
                     "Let documents that an earlier recorded export put in validation or test go to train "
                     "(by default they are kept out)");
        app.add_option("--decontaminate", decontaminate,
                       "Leave out documents sharing a word 13-gram with this registered evaluation set "
                       "(repeatable; see eval-set register)")
            ->take_all()
            ->allow_extra_args(false);
        app.add_flag("--decontaminate-report", decontaminate_report,
                     "Keep those documents and write metadata.eval_overlap (shared grams, 0 when none) on every "
                     "line");
    }

    // Into a; throws ArgumentError for flags that need another.
    void apply(SearchArguments &a) const {
        // A shell cannot easily pass a newline: \n, \t and \\ in a template are read as escapes.
        auto unescape = [](const std::optional<std::string> &t) -> std::optional<std::string> {
            if (!t) return t;
            std::string out;
            for (size_t i = 0; i < t->size(); i++) {
                char c = (*t)[i];
                if (c == '\\' && i + 1 < t->size()) {
                    char n = (*t)[i + 1];
                    if (n == 'n' || n == 't' || n == '\\') {
                        out.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : '\\');
                        i++;
                        continue;
                    }
                }
                out.push_back(c);
            }
            return out;
        };
        if (decontaminate_report && decontaminate.empty())
            throw ArgumentError("--decontaminate-report needs --decontaminate NAME");
        a.tokenizer = tokenizer;
        a.chunk_tokens = chunk_tokens;
        a.chunk_overlap = chunk_overlap;
        a.format = format;
        a.prompt_template = unescape(prompt_template);
        a.text_template = unescape(text_template);
        a.split = split;
        a.split_seed = split_seed;
        a.token_budget = token_budget;
        a.dedup = dedup;
        a.exclude = exclude;
        a.exclude_held_out = !no_held_out_exclusion;
        a.decontaminate = decontaminate;
        a.decontaminate_report = decontaminate_report;
    }
};

int fail(ExitCode code, const std::string &message) {
    // A reader that stopped reading (`| head -1`) is no error to report:
    // quiet, like a tool that SIGPIPE ends (psql, pg_dump, cat).
    if (code != ExitCode::broken_pipe) std::fprintf(stderr, "clara-stream: %s\n", message.c_str());
    return static_cast<int>(code);
}

// The footer of every --help: what a script branches on and what the
// environment changes. The exit codes come from exit_code.hpp.
std::string help_footer() {
    std::string text = "Exit codes:\n";
    for (const ExitCodeHelp &e : kExitCodeHelp) {
        char line[160];
        std::snprintf(line, sizeof line, "  %3d  %s\n", static_cast<int>(e.code), e.meaning);
        text += line;
    }
    text +=
        "\nEnvironment:\n"
        "  CLARA_DSN          connection string or URI when --dsn is not given\n"
        "  PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGSSLMODE ...\n"
        "                     libpq's variables, below CLARA_DSN, --dsn and -h/-p/-U/-d\n"
        "  PGCONNECT_TIMEOUT  seconds to wait for a connection (default here: 10)\n"
        "\nReference: docs/cli.md\n";
    return text;
}

int run(int argc, char **argv) {
    const auto started = std::chrono::steady_clock::now();
    CLI::App app{
        "clara-stream: stream LoRA training JSONL out of PostgreSQL (clara extension)\n"
        "Without a subcommand it exports: clara-stream --query Q --output FILE",
        "clara-stream"};
    app.set_version_flag("--version", kVersion);
    // -h is psql's and pg_dump's --host: help is --help alone. Set before
    // the subcommands are added, which copy it.
    app.set_help_flag("--help", "Print this help and exit");
    const std::string footer = help_footer();
    app.footer(footer);
    app.require_subcommand(0, 1);

    ConnectionTarget connection;
    bool quiet = false;
    // psql's and pg_dump's connection flags; each overrides the same field
    // of --dsn / $CLARA_DSN, which override libpq's PG* variables.
    auto add_connection = [&](CLI::App &cmd) {
        cmd.add_option("--dsn", connection.dsn,
                       "libpq connection string or URI (default: $CLARA_DSN, else PG* variables)");
        cmd.add_option("-h,--host", connection.host, "Database server host or socket directory (over --dsn's)");
        cmd.add_option("-p,--port", connection.port, "Database server port (over --dsn's)");
        cmd.add_option("-U,--username", connection.user, "Database user name (over --dsn's)");
        cmd.add_option("-d,--dbname", connection.dbname,
                       "Database name (over --dsn's), or a connection string as in psql -d");
    };
    auto add_common = [&](CLI::App &cmd) {
        add_connection(cmd);
        cmd.add_flag("--quiet", quiet, "No progress and no summary on stderr");
    };

    // export (no subcommand)
    SearchFlags export_search;
    std::string output;
    int batch_size = clara::kDefaultBatchSize;
    export_search.add_to(app);
    app.add_option("-o,--output", output, "Output JSONL file, - for stdout (written as FILE.partial, then renamed)");
    std::string output_dir, compression = "none", shard_size = "512MB";
    app.add_option("--output-dir", output_dir,
                   "Instead of --output: a dataset directory with shards per split "
                   "(train-00000-of-00002.jsonl ...), manifest.json and a dataset card README.md");
    app.add_option("--compression", compression,
                   "Shards in --output-dir: none, gzip or zstd "
                   "(--output FILE compresses by its extension: .gz, .zst)")
        ->capture_default_str();
    app.add_option("--shard-size", shard_size, "Text per shard in --output-dir, e.g. 512MB, 1G")->capture_default_str();
    bool resume = false;
    app.add_flag("--resume", resume,
                 "Continue the killed export that left DIR.partial (same arguments, unchanged corpus): its "
                 "completed shards are checked against the regenerated lines and kept, the rest is written");
    app.add_option("--batch-size", batch_size, "Rows the server reads per batch (one query each)")
        ->capture_default_str()
        ->check(CLI::Range(1, INT_MAX));
    TrainingFlags export_training;
    export_training.add_to(app);
    std::optional<std::string> record;
    app.add_option("--record", record,
                   "Record this export in the ledger under NAME: which documents (id, content hash) went to which "
                   "split (see clara-stream exports)")
        ->check([](const std::string &v) { return v.empty() ? std::string("a non-empty name") : std::string(); });
    add_common(app);

    // load
    CLI::App *load = app.add_subcommand("load", "Load JSONL documents into clara_documents (one transaction)");
    load->footer(footer);
    std::string load_input;
    std::string on_error = "abort";
    load->add_option("FILE", load_input, "JSONL file, - for stdin")->required();
    load->add_option("--on-error", on_error, "abort: a malformed line loads nothing; skip: load the valid lines")
        ->capture_default_str()
        ->check(CLI::IsMember({"abort", "skip"}));
    size_t max_line_bytes = LoadOptions().max_line_bytes;
    load->add_option("--max-line-bytes", max_line_bytes,
                     "A longer line is a bad line (reported with its number), never held in memory")
        ->capture_default_str()
        ->check(CLI::Range(static_cast<size_t>(1024), static_cast<size_t>(1) << 30));
    add_common(*load);

    // validate
    CLI::App *validate = app.add_subcommand(
        "validate", "Check that every line of a JSONL file or --output-dir dataset has the same keys and JSON types");
    validate->footer(footer);
    ValidateOptions validate_opt;
    validate->add_option("PATH", validate_opt.path, "A .jsonl[.gz|.zst] file, - for stdin, or a dataset directory")
        ->required();
    validate->add_flag("--json", validate_opt.json, "Print the verdict as one JSON object on stdout");
    validate->add_flag("--quiet", quiet, "No summary on stderr");

    // stats
    CLI::App *stats = app.add_subcommand(
        "stats", "Statistics of what an export with the same flags would write (the seed's get_statistics)");
    stats->footer(footer);
    SearchFlags stats_search;
    TrainingFlags stats_training;
    bool stats_json = false;
    stats_search.add_to(*stats);
    stats_training.add_to(*stats);
    stats->add_flag("--json", stats_json, "Print the statistics as JSON");
    add_common(*stats);

    // generate
    CLI::App *generate = app.add_subcommand("generate", "Write the deterministic sample corpus as load input");
    generate->footer(footer);
    GenerateOptions gen;
    generate->add_option("--docs", gen.docs, "Number of documents")->required();
    generate->add_option("--seed", gen.seed, "Seed; the same seed gives the same bytes")->capture_default_str();
    generate->add_option("-o,--output", gen.output, "Output file, - for stdout")->capture_default_str();
    generate->add_option("--truth", gen.truth,
                         "Also write the generator's ground truth as TSV (document_id, quality, domain, topic_id, "
                         "topic_name, duplicate_of, topic_in_text)");
    generate->add_flag("--quiet", quiet, "No summary on stderr");

    // exports
    CLI::App *exports = app.add_subcommand("exports", "List the recorded exports (--record) you may see, or drop one");
    exports->footer(footer);
    ExportsOptions exports_opt;
    exports->add_option("--drop", exports_opt.drop, "Drop this export and its documents from the ledger");
    exports->add_flag("--json", exports_opt.json, "One JSON object per export");
    add_common(*exports);

    // eval-set
    CLI::App *eval_set = app.add_subcommand("eval-set", "Evaluation sets for --decontaminate");
    eval_set->footer(footer);
    eval_set->require_subcommand(1);
    EvalSetOptions eval_opt;
    CLI::App *eval_register = eval_set->add_subcommand(
        "register", "Register the \"text\" of each line of a JSONL file as an evaluation set");
    eval_register->add_option("NAME", eval_opt.name, "Name of the set (--decontaminate NAME)")->required();
    eval_register->add_option("FILE", eval_opt.input, "JSONL file with a \"text\" field per line, - for stdin")
        ->required();
    eval_register->add_option("--n", eval_opt.n, "Words per gram")->capture_default_str()->check(CLI::Range(1, 64));
    add_common(*eval_register);
    CLI::App *eval_drop = eval_set->add_subcommand("drop", "Drop an evaluation set and its grams");
    eval_drop->add_option("NAME", eval_opt.name, "Name of the set")->required();
    add_common(*eval_drop);

    // serve
    CLI::App *serve = app.add_subcommand("serve", "HTTP API: POST /api/datasets/stream, /search, GET /stats, /health");
    serve->footer(footer);
    ServeOptions serve_opt;
    serve->add_option("--listen", serve_opt.listen, "Address to listen on, HOST:PORT (port 0: any free port)")
        ->capture_default_str();
    add_connection(*serve);
    serve->add_option("--pool-size", serve_opt.pool_size, "Database connections: statements running at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    serve->add_option("--workers", serve_opt.workers, "HTTP worker threads: connections served at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    serve->add_option("--pool-wait", serve_opt.pool_wait, "Seconds a request waits for a free connection before 503")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));
    serve->add_option("--token-file", serve_opt.token_file, "Require Authorization: Bearer <the token in FILE>");
    serve->add_option("--max-body", serve_opt.max_body, "Largest request body in bytes (413 beyond)")
        ->capture_default_str()
        ->check(CLI::Range(static_cast<size_t>(1), static_cast<size_t>(1) << 30));
    serve
        ->add_option("--stall-timeout", serve_opt.stall_timeout,
                     "Seconds a client may read nothing of a response before it counts as gone")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    serve
        ->add_option("--request-timeout", serve_opt.request_timeout,
                     "Seconds for a request's line and headers, and as long for its body (408 after)")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    serve
        ->add_option("--min-rate", serve_opt.min_rate,
                     "Bytes/s: a stream read slower ends while another request waits for a connection (0: never)")
        ->capture_default_str()
        ->check(CLI::Range(static_cast<size_t>(0), static_cast<size_t>(1) << 40));
    serve
        ->add_option("--shutdown-grace", serve_opt.shutdown_grace,
                     "Seconds running requests may finish after SIGINT/SIGTERM before they are ended")
        ->capture_default_str()
        ->check(CLI::Range(0, 86400));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        return fail(ExitCode::usage, std::string(e.what()) + " (see clara-stream --help)");
    }

    install_interrupt_handlers();
    try {
        if (*load) {
            LoadOptions opt;
            opt.input = load_input;
            opt.on_error = on_error == "skip" ? OnError::skip : OnError::abort;
            opt.max_line_bytes = max_line_bytes;
            opt.connection = connection;
            opt.quiet = quiet;
            opt.started = started;
            run_load(opt);
        } else if (*validate) {
            validate_opt.quiet = quiet;
            run_validate(validate_opt);
        } else if (*stats) {
            if (stats_search.query.empty()) return fail(ExitCode::usage, "stats: --query is required");
            StatsOptions opt;
            opt.search = stats_search.resolve();
            stats_training.apply(opt.search);
            opt.json = stats_json;
            opt.connection = connection;
            run_stats(opt);
        } else if (*exports) {
            exports_opt.connection = connection;
            exports_opt.quiet = quiet;
            run_exports(exports_opt);
        } else if (*serve) {
            serve_opt.connection = connection;
            run_serve(serve_opt);
        } else if (*eval_set) {
            eval_opt.connection = connection;
            eval_opt.quiet = quiet;
            if (*eval_register)
                run_eval_set_register(eval_opt);
            else
                run_eval_set_drop(eval_opt);
        } else if (*generate) {
            gen.quiet = quiet;
            gen.started = started;
            run_generate(gen);
        } else {
            if (export_search.query.empty() || (output.empty() && output_dir.empty()))
                return fail(ExitCode::usage,
                            "--query and --output (or --output-dir) are required (see clara-stream --help)");
            if (!output.empty() && !output_dir.empty())
                return fail(ExitCode::usage, "--output and --output-dir: give one of them");
            if (resume && output_dir.empty())
                return fail(ExitCode::usage,
                            "--resume continues an --output-dir export (a single --output file "
                            "is written whole)");
            if (output_dir.empty() && (app.count("--compression") > 0 || app.count("--shard-size") > 0))
                return fail(ExitCode::usage,
                            "--compression and --shard-size apply to --output-dir (--output FILE.jsonl.gz or "
                            ".jsonl.zst compresses by its name)");
            ExportOptions opt;
            opt.search = export_search.resolve();
            export_training.apply(opt.search);
            opt.search.record = record;
            opt.batch_size = batch_size;
            opt.output = output;
            opt.output_dir = output_dir;
            opt.compression = compression;
            opt.shard_size = parse_byte_size(shard_size);
            opt.resume = resume;
            // The command for the manifest, without a connection string (it
            // may hold a password): --dsn's value, and -d's when it is one.
            for (int i = 0; i < argc; i++) {
                std::string a = argv[i], before = i > 0 ? argv[i - 1] : "";
                bool conninfo = a.find('=') != std::string::npos || a.find("://") != std::string::npos;
                if (before == "--dsn" || ((before == "-d" || before == "--dbname") && conninfo))
                    a = "(not recorded)";
                else if (a.rfind("--dsn=", 0) == 0 || (a.rfind("--dbname=", 0) == 0 && conninfo))
                    a = a.substr(0, a.find('=') + 1) + "(not recorded)";
                opt.argv.push_back(a);
            }
            opt.version = kVersion;
            opt.connection = connection;
            opt.quiet = quiet;
            opt.started = started;
            run_export(opt);
        }
    } catch (const ArgumentError &e) {
        return fail(ExitCode::usage, e.what());
    } catch (const Failure &e) {
        return fail(e.code(), e.what());
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception &e) {
        return fail(ExitCode::internal, std::string("internal error: ") + e.what());
    }
}
