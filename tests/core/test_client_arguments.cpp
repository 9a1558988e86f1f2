// clara-stream's flag values -> SQL arguments (client/core/arguments).
#include "core/arguments.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using clara::cli::ArgumentError;
using clara::cli::build_filters_json;
using clara::cli::build_weights_json;
using clara::cli::normalize_search_types;
using clara::cli::parse_byte_size;
using nlohmann::json;

TEST(ClientFilters, NoFiltersIsAnEmptyObject) { EXPECT_EQ(build_filters_json(std::nullopt, {}), "{}"); }

TEST(ClientFilters, DomainIsAStringFilter) {
    EXPECT_EQ(json::parse(build_filters_json("baurecht", {})), json({{"domain", "baurecht"}}));
    // --domain never reads JSON: a domain called "true" stays a string
    EXPECT_EQ(json::parse(build_filters_json("true", {})), json({{"domain", "true"}}));
}

TEST(ClientFilters, ValueIsJsonWhenItParsesElseAString) {
    json f = json::parse(build_filters_json(
        std::nullopt, {"document_type=urteil", "metadata={\"gericht\":\"BVerwG\"}", "source=[\"a\",\"b\"]",
                       "created_after=2024-01-01", "x=42", "y=\"quoted\"", "z="}));
    EXPECT_EQ(f["document_type"], "urteil");
    EXPECT_EQ(f["metadata"], json({{"gericht", "BVerwG"}}));
    EXPECT_EQ(f["source"], json::array({"a", "b"}));
    EXPECT_EQ(f["created_after"], "2024-01-01");  // not JSON (2024-01-01 is no number)
    EXPECT_EQ(f["x"], 42);
    EXPECT_EQ(f["y"], "quoted");
    EXPECT_EQ(f["z"], "");
}

TEST(ClientFilters, OnlyTheFirstEqualsSplits) {
    json f = json::parse(build_filters_json(std::nullopt, {"source=a=b"}));
    EXPECT_EQ(f["source"], "a=b");
}

TEST(ClientFilters, QuotesAndBackslashesSurvive) {
    json f = json::parse(build_filters_json("a\"b\\c", {"source=it's \\ \"x\""}));
    EXPECT_EQ(f["domain"], "a\"b\\c");
    EXPECT_EQ(f["source"], "it's \\ \"x\"");
}

TEST(ClientFilters, RejectsMalformedAndRepeatedKeys) {
    EXPECT_THROW(build_filters_json(std::nullopt, {"domain"}), ArgumentError);
    EXPECT_THROW(build_filters_json(std::nullopt, {"=x"}), ArgumentError);
    EXPECT_THROW(build_filters_json(std::nullopt, {"domain=a", "domain=b"}), ArgumentError);
    EXPECT_THROW(build_filters_json("a", {"domain=b"}), ArgumentError);
    EXPECT_THROW(build_filters_json(std::nullopt, {"domain=\xff"}), ArgumentError);  // not UTF-8
}

TEST(ClientFilters, UnknownKeysAreLeftToTheServer) {
    // The extension owns the list of filter keys and rejects unknown ones.
    EXPECT_EQ(json::parse(build_filters_json(std::nullopt, {"colour=blue"})), json({{"colour", "blue"}}));
}

TEST(ClientSearchTypes, TrimsAndJoins) {
    EXPECT_EQ(normalize_search_types("keyword"), "keyword");
    EXPECT_EQ(normalize_search_types(" keyword , vector,graph "), "keyword,vector,graph");
    EXPECT_THROW(normalize_search_types(""), ArgumentError);
    EXPECT_THROW(normalize_search_types("keyword,,graph"), ArgumentError);
    EXPECT_THROW(normalize_search_types("keyword,keyword"), ArgumentError);
}

TEST(ClientWeights, NumbersPerKey) {
    EXPECT_EQ(json::parse(build_weights_json("keyword=1,vector=0.5")), json({{"keyword", 1.0}, {"vector", 0.5}}));
    EXPECT_EQ(json::parse(build_weights_json(" graph = 2e-1 ")), json({{"graph", 0.2}}));
    EXPECT_THROW(build_weights_json("keyword"), ArgumentError);
    EXPECT_THROW(build_weights_json("keyword=high"), ArgumentError);
    EXPECT_THROW(build_weights_json("keyword=1x"), ArgumentError);
    EXPECT_THROW(build_weights_json("keyword=inf"), ArgumentError);
    EXPECT_THROW(build_weights_json("keyword=nan"), ArgumentError);
    EXPECT_THROW(build_weights_json("keyword="), ArgumentError);
    EXPECT_THROW(build_weights_json("keyword=1,keyword=2"), ArgumentError);
}

TEST(ClientArguments, ByteSizes) {
    EXPECT_EQ(parse_byte_size("512MB"), 512ull << 20);
    EXPECT_EQ(parse_byte_size("1G"), 1ull << 30);
    EXPECT_EQ(parse_byte_size("64KiB"), 64ull << 10);
    EXPECT_EQ(parse_byte_size("1000000"), 1000000ull);
    EXPECT_EQ(parse_byte_size("2tb"), 2ull << 40);
    EXPECT_THROW(parse_byte_size("MB"), ArgumentError);
    EXPECT_THROW(parse_byte_size("0"), ArgumentError);
    EXPECT_THROW(parse_byte_size("5 parsecs"), ArgumentError);
    EXPECT_THROW(parse_byte_size("99999999999999999999G"), ArgumentError);
}
