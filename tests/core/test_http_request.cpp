// clara-stream serve's request handling without a socket (client/core/http_request).
#include "core/http_request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace clara::cli;
using nlohmann::json;

namespace {

// The field a RequestError names, or "no error".
std::string error_field(const std::string &body) {
    try {
        parse_dataset_request(body);
    } catch (const RequestError &e) {
        return e.field();
    }
    return "no error";
}

}  // namespace

TEST(HttpDatasetRequest, TheSeedsBody) {
    DatasetRequest r = parse_dataset_request(R"({
        "name": "photovoltaik_training", "description": "Streaming dataset for LoRA training",
        "search_query": {"query_text": "Verwaltungsrecht Photovoltaik", "top_k": 5000, "min_quality_score": 0.6,
                         "filters": {"domain": "verwaltungsrecht"}},
        "export_formats": ["jsonl"]})");
    EXPECT_EQ(r.name, "photovoltaik_training");
    EXPECT_EQ(r.search.query, "Verwaltungsrecht Photovoltaik");
    EXPECT_EQ(r.search.top_k, 5000);
    EXPECT_DOUBLE_EQ(r.search.min_quality, 0.6);
    EXPECT_EQ(json::parse(r.search.filters_json), json({{"domain", "verwaltungsrecht"}}));
    EXPECT_FALSE(r.search.search_types);
    EXPECT_FALSE(r.search.weights_json);
    EXPECT_EQ(r.batch_size, 100);
}

TEST(HttpDatasetRequest, DefaultsAreTheSeedsDatasetSearchQuery) {
    DatasetRequest r = parse_dataset_request(R"({"search_query": {"query_text": "Baurecht"}})");
    EXPECT_EQ(r.name, "dataset");
    EXPECT_EQ(r.search.top_k, 100);
    EXPECT_DOUBLE_EQ(r.search.min_quality, 0.5);
    EXPECT_EQ(r.search.filters_json, "{}");
    // null means "the default" too
    r = parse_dataset_request(R"({"search_query": {"query_text": "x", "top_k": null, "filters": null}, "name": null})");
    EXPECT_EQ(r.search.top_k, 100);
    EXPECT_EQ(r.search.filters_json, "{}");
}

TEST(HttpDatasetRequest, OptionalArguments) {
    DatasetRequest r = parse_dataset_request(
        R"({"search_query": {"query_text": "x", "search_types": ["keyword", "graph"],
        "weights": {"keyword": 1, "graph": 0.5}}, "batch_size": 7})");
    EXPECT_EQ(r.search.search_types, "keyword,graph");
    EXPECT_EQ(json::parse(*r.search.weights_json), json({{"keyword", 1}, {"graph", 0.5}}));
    EXPECT_EQ(r.batch_size, 7);
}

TEST(HttpDatasetRequest, ErrorsNameTheirField) {
    EXPECT_EQ(error_field("{\"search_query\": "), "");  // malformed JSON: the whole body
    EXPECT_EQ(error_field("[]"), "body");
    EXPECT_EQ(error_field("{}"), "search_query");
    EXPECT_EQ(error_field(R"({"search_query": "x"})"), "search_query");
    EXPECT_EQ(error_field(R"({"search_query": {}})"), "search_query.query_text");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "  "}})"), "search_query.query_text");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": 5}})"), "search_query.query_text");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "a\u0000b"}})"), "search_query.query_text");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "top_k": "5"}})"), "search_query.top_k");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "top_k": 5.5}})"), "search_query.top_k");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "top_k": 0}})"), "search_query.top_k");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "top_k": 99999999999}})"), "search_query.top_k");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "top_k": 18446744073709551615}})"),
              "search_query.top_k");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "min_quality_score": 1.01}})"),
              "search_query.min_quality_score");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "min_quality_score": true}})"),
              "search_query.min_quality_score");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "filters": ["domain"]}})"), "search_query.filters");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "search_types": "keyword"}})"),
              "search_query.search_types");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "search_types": []}})"), "search_query.search_types");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "search_types": ["a,b"]}})"),
              "search_query.search_types");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "search_types": ["keyword", "keyword"]}})"),
              "search_query.search_types");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "weights": 1}})"), "search_query.weights");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "batch_size": 0})"), "batch_size");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "batch_size": 100001})"), "batch_size");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "name": 3})"), "name");
}

TEST(HttpDatasetRequest, Ledger) {
    DatasetRequest r = parse_dataset_request(
        R"({"search_query": {"query_text": "x"}, "training": {"record": "run2", "exclude": ["run1", "run0:validation"], "exclude_held_out": false}})");
    EXPECT_EQ(r.search.record, std::optional<std::string>("run2"));
    EXPECT_EQ(r.search.exclude, (std::vector<std::string>{"run1", "run0:validation"}));
    EXPECT_FALSE(r.search.exclude_held_out);
    // absent: nothing recorded or excluded, held-out exclusion on
    DatasetRequest d = parse_dataset_request(R"({"search_query": {"query_text": "x"}})");
    EXPECT_FALSE(d.search.record);
    EXPECT_TRUE(d.search.exclude.empty());
    EXPECT_TRUE(d.search.exclude_held_out);
    const std::string head = R"({"search_query": {"query_text": "x"}, "training": )";
    EXPECT_EQ(error_field(head + R"({"record": ""}})"), "training.record");
    EXPECT_EQ(error_field(head + R"({"record": 3}})"), "training.record");
    EXPECT_EQ(error_field(head + R"({"exclude": "run1"}})"), "training.exclude");
    EXPECT_EQ(error_field(head + R"({"exclude": [1]}})"), "training.exclude");
    EXPECT_EQ(error_field(head + R"({"exclude_held_out": "no"}})"), "training.exclude_held_out");
}

TEST(HttpDatasetRequest, Dedup) {
    for (const char *mode : {"exact", "near", "none"}) {
        DatasetRequest r = parse_dataset_request(
            std::string(R"({"search_query": {"query_text": "x"}, "training": {"dedup": ")") + mode + "\"}}");
        EXPECT_EQ(r.search.dedup, std::optional<std::string>(mode));
        EXPECT_TRUE(r.training);
    }
    // absent or null: no dedup argument (the server's NULL, none)
    EXPECT_FALSE(parse_dataset_request(R"({"search_query": {"query_text": "x"}})").search.dedup);
    EXPECT_FALSE(
        parse_dataset_request(R"({"search_query": {"query_text": "x"}, "training": {"dedup": null}})").search.dedup);
    // anything else is the caller's mistake: 400 naming the field
    for (const char *bad : {R"("fuzzy")", R"("Near")", R"("")", R"(" near")", R"(1)", R"(true)", R"(["near"])"})
        EXPECT_EQ(
            error_field(std::string(R"({"search_query": {"query_text": "x"}, "training": {"dedup": )") + bad + "}}"),
            "training.dedup")
            << bad;
    try {
        parse_dataset_request(R"({"search_query": {"query_text": "x"}, "training": {"dedup": "fuzzy"}})");
        FAIL() << "no error";
    } catch (const RequestError &e) {
        EXPECT_EQ(std::string(e.what()), R"(training.dedup must be "exact", "near" or "none", not "fuzzy")");
    }
    // a top-level "dedup" is not where it goes
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "dedup": "near"})"), "dedup");
}

TEST(HttpDatasetRequest, Decontaminate) {
    DatasetRequest r = parse_dataset_request(
        R"({"search_query": {"query_text": "x"}, "training": {"decontaminate": ["a", "b,c"], "decontaminate_mode": "report"}})");
    EXPECT_EQ(r.search.decontaminate, (std::vector<std::string>{"a", "b,c"}));
    EXPECT_TRUE(r.search.decontaminate_report);
    r = parse_dataset_request(R"({"search_query": {"query_text": "x"}, "training": {"decontaminate": ["a"]}})");
    EXPECT_FALSE(r.search.decontaminate_report);
    EXPECT_TRUE(parse_dataset_request(R"({"search_query": {"query_text": "x"}})").search.decontaminate.empty());
    for (const char *bad : {R"("a")", R"([1])", R"([""])", R"({"a": 1})", R"(true)"})
        EXPECT_EQ(error_field(std::string(R"({"search_query": {"query_text": "x"}, "training": {"decontaminate": )") +
                              bad + "}}"),
                  "training.decontaminate")
            << bad;
    EXPECT_EQ(
        error_field(
            R"({"search_query": {"query_text": "x"}, "training": {"decontaminate": ["a"], "decontaminate_mode": "mark"}})"),
        "training.decontaminate_mode");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "training": {"decontaminate_mode": "report"}})"),
              "training.decontaminate_mode");
}

TEST(HttpDatasetRequest, UnknownKeysAreErrors) {
    // "min_quality" instead of "min_quality_score" must not quietly mean 0.5.
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "min_quality": 0.9}})"), "search_query.min_quality");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "format": "jsonl"})"), "format");
}

TEST(HttpDatasetRequest, ExportFormatsMustIncludeJsonl) {
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "export_formats": ["jsonl", "parquet"]})"),
              "no error");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "export_formats": ["parquet"]})"), "export_formats");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x"}, "export_formats": "jsonl"})"), "export_formats");
}

TEST(HttpDatasetRequest, InvalidUtf8IsMalformed) {
    EXPECT_EQ(error_field("{\"search_query\": {\"query_text\": \"\xff\"}}"), "");
}

// 80,000 levels under filters crashed serve (dump() recursed per level on a
// worker's stack); now refused while parsing, at any place in the body.
TEST(HttpDatasetRequest, DeepNestingIsRefused) {
    auto nested = [](const std::string &where, int depth) {
        std::string deep = std::string(depth, '[') + std::string(depth, ']');
        return R"({"search_query": {"query_text": "x", ")" + where + R"(": {"metadata": )" + deep + "}}}";
    };
    try {
        parse_dataset_request(nested("filters", 80000));
        FAIL() << "80,000 levels accepted";
    } catch (const RequestError &e) {
        EXPECT_NE(std::string(e.what()).find("nested deeper than 64 levels"), std::string::npos) << e.what();
    }
    EXPECT_EQ(error_field(nested("weights", 80000)), "");
    // The limit itself: the body, search_query and filters objects are 3
    // levels, so 61 arrays inside make 64 and still parse; 62 do not.
    DatasetRequest r = parse_dataset_request(nested("filters", kMaxJsonDepth - 3));
    EXPECT_EQ(json::parse(r.search.filters_json)["metadata"].size(), 1u);
    EXPECT_EQ(error_field(nested("filters", kMaxJsonDepth - 2)), "");
}

TEST(HttpDatasetRequest, DuplicateKeysAreRefused) {
    try {
        parse_dataset_request(R"({"search_query": {"query_text": "a", "top_k": 1, "top_k": 100000}})");
        FAIL() << "a key given twice was accepted";
    } catch (const RequestError &e) {
        EXPECT_NE(std::string(e.what()).find("\"top_k\" twice"), std::string::npos) << e.what();
    }
    EXPECT_EQ(error_field(R"({"name": "a", "name": "b", "search_query": {"query_text": "x"}})"), "");
    EXPECT_EQ(error_field(R"({"search_query": {"query_text": "x", "filters": {"domain": "a", "domain": "b"}}})"), "");
    // The same key in different objects is fine.
    DatasetRequest r = parse_dataset_request(
        R"({"name": "n", "search_query": {"query_text": "x", "filters": {"metadata": {"name": "n"}}}})");
    EXPECT_EQ(r.name, "n");
}

TEST(HttpStatsParameters, FromTheUrl) {
    SearchArguments s = parse_stats_parameters({{"query", "Photovoltaik"},
                                                {"top_k", "500"},
                                                {"min_quality_score", "0.2"},
                                                {"domain", "baurecht"},
                                                {"search_types", "keyword"},
                                                {"weights", R"({"keyword": 1})"}});
    EXPECT_EQ(s.query, "Photovoltaik");
    EXPECT_EQ(s.top_k, 500);
    EXPECT_DOUBLE_EQ(s.min_quality, 0.2);
    EXPECT_EQ(json::parse(s.filters_json), json({{"domain", "baurecht"}}));
    EXPECT_EQ(s.search_types, "keyword");
    EXPECT_EQ(json::parse(*s.weights_json), json({{"keyword", 1}}));

    s = parse_stats_parameters({{"query", "x"}, {"filters", R"({"metadata": {"gericht": "VG Köln"}})"}});
    EXPECT_EQ(s.top_k, 100);
    EXPECT_EQ(json::parse(s.filters_json)["metadata"]["gericht"], "VG Köln");
}

// The stream body's "training" names: stats counts what that export would write.
TEST(HttpStatsParameters, TrainingFromTheUrl) {
    SearchArguments s = parse_stats_parameters({{"query", "x"},
                                                {"tokenizer", "llama3"},
                                                {"chunk_tokens", "2048"},
                                                {"chunk_overlap", "128"},
                                                {"format", "messages"},
                                                {"split", "validation=0.02,test=0.01"},
                                                {"split_seed", "7"},
                                                {"token_budget", "100000"},
                                                {"dedup", "near"},
                                                {"exclude", R"(["run1:validation", "run,2"])"},
                                                {"exclude_held_out", "false"},
                                                {"decontaminate", "mmlu-de"},
                                                {"decontaminate_mode", "report"}});
    EXPECT_EQ(s.tokenizer, "llama3");
    EXPECT_EQ(s.chunk_tokens, 2048);
    EXPECT_EQ(s.chunk_overlap, 128);
    EXPECT_EQ(s.format, "messages");
    EXPECT_EQ(s.split, "validation=0.02,test=0.01");
    EXPECT_EQ(s.split_seed, 7);
    EXPECT_EQ(s.token_budget, 100000);
    EXPECT_EQ(s.dedup, "near");
    EXPECT_EQ(s.exclude, (std::vector<std::string>{"run1:validation", "run,2"}));
    EXPECT_FALSE(s.exclude_held_out);
    EXPECT_EQ(s.decontaminate, (std::vector<std::string>{"mmlu-de"}));
    EXPECT_TRUE(s.decontaminate_report);
    // Defaults: the export's.
    s = parse_stats_parameters({{"query", "x"}});
    EXPECT_FALSE(s.tokenizer.has_value());
    EXPECT_EQ(s.format, "raw");
    EXPECT_TRUE(s.exclude_held_out);
    EXPECT_TRUE(s.exclude.empty());
}

TEST(HttpStatsParameters, Errors) {
    auto field = [](const std::vector<std::pair<std::string, std::string>> &params) {
        try {
            parse_stats_parameters(params);
        } catch (const RequestError &e) {
            return e.field();
        }
        return std::string("no error");
    };
    EXPECT_EQ(field({}), "query");
    EXPECT_EQ(field({{"query", "x"}, {"top_k", "many"}}), "top_k");
    EXPECT_EQ(field({{"query", "x"}, {"top_k", "0"}}), "top_k");
    EXPECT_EQ(field({{"query", "x"}, {"min_quality_score", "2"}}), "min_quality_score");
    EXPECT_EQ(field({{"query", "x"}, {"filters", "{"}}), "filters");
    EXPECT_EQ(field({{"query", "x"}, {"colour", "blue"}}), "colour");
    EXPECT_EQ(field({{"query", "x"}, {"query", "y"}}), "query");
    EXPECT_EQ(field({{"query", "x"}, {"domain", "a"}, {"filters", R"({"domain": "b"})"}}), "domain");
    EXPECT_EQ(field({{"query", "x"}, {"weights", R"({"keyword": 1, "keyword": 2})"}}), "weights");
    EXPECT_EQ(field({{"query", "x"}, {"filters", std::string(100, '[') + std::string(100, ']')}}), "filters");
    EXPECT_EQ(field({{"query", "x"}, {"chunk_tokens", "many"}}), "training.chunk_tokens");
    EXPECT_EQ(field({{"query", "x"}, {"dedup", "fuzzy"}}), "training.dedup");
    EXPECT_EQ(field({{"query", "x"}, {"exclude_held_out", "yes"}}), "training.exclude_held_out");
    EXPECT_EQ(field({{"query", "x"}, {"decontaminate_mode", "report"}}), "training.decontaminate_mode");
    EXPECT_EQ(field({{"query", "x"}, {"split", "a=0.1"}, {"split", "b=0.1"}}), "split");
    EXPECT_EQ(field({{"query", "x"}, {"record", "run1"}}), "record");  // an export's, not statistics'
}

TEST(HttpAttachment, FileNameIsSafe) {
    EXPECT_EQ(attachment_filename("photovoltaik_training"), "photovoltaik_training.jsonl");
    EXPECT_EQ(attachment_filename("../../etc/passwd"), "_.._etc_passwd.jsonl");
    EXPECT_EQ(attachment_filename("a\"b\r\nc;d"), "a_b__c_d.jsonl");
    EXPECT_EQ(attachment_filename("...hidden"), "hidden.jsonl");
    EXPECT_EQ(attachment_filename(""), "dataset.jsonl");
    EXPECT_EQ(attachment_filename("..."), "dataset.jsonl");
    EXPECT_EQ(attachment_filename("Förder"), "F__rder.jsonl");  // two UTF-8 bytes, two '_'
    EXPECT_EQ(attachment_filename(std::string(300, 'a')), std::string(100, 'a') + ".jsonl");
}

TEST(HttpToken, ComparesExactly) {
    EXPECT_TRUE(tokens_equal("s3cret", "s3cret"));
    EXPECT_FALSE(tokens_equal("s3cre", "s3cret"));
    EXPECT_FALSE(tokens_equal("s3crett", "s3cret"));
    EXPECT_FALSE(tokens_equal("S3cret", "s3cret"));
    EXPECT_FALSE(tokens_equal("", "s3cret"));
    EXPECT_FALSE(tokens_equal("", ""));  // no token configured is never a match
    EXPECT_FALSE(tokens_equal(std::string("s3cret\0", 7), "s3cret"));
}

TEST(HttpListen, Addresses) {
    ListenAddress a = parse_listen_address("127.0.0.1:45681");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 45681);
    a = parse_listen_address("[::1]:0");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 0);
    EXPECT_EQ(parse_listen_address("localhost:8080").host, "localhost");
    for (const char *bad : {"45681", ":45681", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1:80", "h:8o"})
        EXPECT_THROW(parse_listen_address(bad), RequestError) << bad;
}

TEST(HttpServerErrors, StatusBySqlstate) {
    EXPECT_EQ(http_status_for_sqlstate("22023"), 400);  // invalid_parameter_value
    EXPECT_EQ(http_status_for_sqlstate("22007"), 400);  // invalid_datetime_format (created_after)
    EXPECT_EQ(http_status_for_sqlstate("0A000"), 400);  // search type not available
    EXPECT_EQ(http_status_for_sqlstate("54000"), 400);  // too many filters
    EXPECT_EQ(http_status_for_sqlstate("57014"), 503);  // statement timeout, cancel
    EXPECT_EQ(http_status_for_sqlstate("08006"), 503);
    EXPECT_EQ(http_status_for_sqlstate("53300"), 503);  // too many connections
    EXPECT_EQ(http_status_for_sqlstate("XX000"), 500);
    EXPECT_EQ(http_status_for_sqlstate(""), 500);
}

TEST(HttpServerErrors, FieldFromTheExtensionsMessage) {
    EXPECT_EQ(field_for_server_message("unknown filter key \"colour\""), "search_query.filters");
    EXPECT_EQ(field_for_server_message("filter \"created_after\" must be a timestamp"), "search_query.filters");
    EXPECT_EQ(field_for_server_message("search type \"vector\" is not available in this version of clara"),
              "search_query.search_types");
    EXPECT_EQ(field_for_server_message("weight \"keyword\" must be a non-negative number"), "search_query.weights");
    EXPECT_EQ(field_for_server_message("query must not be empty"), "search_query.query_text");
    EXPECT_EQ(field_for_server_message("batch_size must be between 1 and 100000, not 0"), "batch_size");
    EXPECT_EQ(field_for_server_message("invalid input syntax for type timestamp"), "");
}
