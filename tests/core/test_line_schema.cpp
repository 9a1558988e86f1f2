// clara-stream validate's core: one shape for every line of a dataset.
#include "core/line_schema.hpp"

#include <gtest/gtest.h>

#include <string>

using clara::cli::LineSchema;

namespace {

// Checks lines in order, each named "f:N"; returns the first finding
// prefixed with its line, or "".
std::string first_finding(std::initializer_list<std::string> lines) {
    LineSchema schema;
    int n = 0;
    for (const std::string &line : lines) {
        std::string where = "f:" + std::to_string(++n);
        std::string finding = schema.check(line, where);
        if (!finding.empty()) return where + ": " + finding;
    }
    return "";
}

}  // namespace

TEST(LineSchema, AcceptsLinesOfOneShape) {
    EXPECT_EQ(first_finding({
                  R"({"text":"a","metadata":{"year":2020,"tags":["x"],"chunk":{"i":0}},"score":0.5})",
                  R"({"metadata":{"chunk":{"i":3},"tags":[],"year":1999},"score":1,"text":"b"})",
                  R"({"text":"c","metadata":{"year":null,"tags":null,"chunk":null},"score":0.25})",
              }),
              "");
}

TEST(LineSchema, NullFitsEveryTypeAndTheFirstOtherValueFixesIt) {
    EXPECT_EQ(first_finding({R"({"a":null})", R"({"a":"x"})", R"({"a":null})"}), "");
    EXPECT_EQ(first_finding({R"({"a":null})", R"({"a":"x"})", R"({"a":3})"}),
              "f:3: $.a is a number, but a string at f:2");
}

TEST(LineSchema, NamesTheFirstLineAndPathWhoseTypeChanges) {
    EXPECT_EQ(first_finding({
                  R"({"text":"a","metadata":{"year":2020}})",
                  R"({"text":"b","metadata":{"year":2021}})",
                  R"({"text":"c","metadata":{"year":"2022"}})",
                  R"({"text":"d","metadata":{"year":true}})",
              }),
              "f:3: $.metadata.year is a string, but a number at f:1");
}

TEST(LineSchema, ArrayElementsShareOneType) {
    EXPECT_EQ(first_finding({R"({"t":[1,2]})", R"({"t":[3,"4"]})"}), "f:2: $.t[] is a string, but a number at f:1");
    // Within one line too.
    EXPECT_EQ(first_finding({R"({"t":[1,"2"]})"}), "f:1: $.t[] is a string, but a number at f:1");
    // Enrichment: an object for one match and an array for two breaks Arrow.
    EXPECT_EQ(first_finding({R"({"m":{"src":[{"a":1}]}})", R"({"m":{"src":{"a":1}}})"}),
              "f:2: $.m.src is an object, but an array at f:1");
}

TEST(LineSchema, ObjectsAtOnePathHaveOneKeySet) {
    EXPECT_EQ(first_finding({R"({"metadata":{"a":1,"b":2}})", R"({"metadata":{"a":1}})"}),
              "f:2: $.metadata lacks key \"b\" (present at f:1; write null for a missing value)");
    EXPECT_EQ(first_finding({R"({"metadata":{"a":1}})", R"({"metadata":{"a":1,"odd key":2}})"}),
              "f:2: $.metadata has key \"odd key\" that f:1 does not have");
    // Nested, and inside arrays: every element object has the same keys.
    EXPECT_EQ(first_finding({R"({"m":{"s":[{"a":1,"b":2},{"b":3,"a":4}]}})", R"({"m":{"s":[{"a":1}]}})"}),
              "f:2: $.m.s[] lacks key \"b\" (present at f:1; write null for a missing value)");
    // The top level too.
    EXPECT_EQ(first_finding({R"({"text":"a","source":null})", R"({"text":"b"})"}),
              "f:2: $ lacks key \"source\" (present at f:1; write null for a missing value)");
}

TEST(LineSchema, PathsOfOddKeysAreQuoted) {
    EXPECT_EQ(first_finding({R"({"m":{"a-b":1}})", R"({"m":{"a-b":"x"}})"}),
              "f:2: $.m[\"a-b\"] is a string, but a number at f:1");
    EXPECT_EQ(clara::cli::schema_path_child("$", "x\"y"), "$[\"x\\\"y\"]");
    EXPECT_EQ(clara::cli::schema_path_child("$", "9lives"), "$[\"9lives\"]");
}

TEST(LineSchema, RefusesInvalidJsonDuplicateKeysAndDeepNesting) {
    std::string f = first_finding({R"({"a":1})", R"({"a":1)"});
    EXPECT_EQ(f.rfind("f:2: not valid JSON: ", 0), 0u) << f;
    f = first_finding({""});
    EXPECT_EQ(f.rfind("f:1: not valid JSON", 0), 0u) << f;
    EXPECT_EQ(first_finding({R"({"a":1,"a":2})"}), "f:1: $ has key \"a\" twice");
    // 100,000 levels: refused at 256, with no deep recursion.
    std::string deep(100000, '[');
    EXPECT_EQ(first_finding({deep}), "f:1: nested deeper than 256 levels");
    std::string ok = std::string(255, '[') + std::string(255, ']');
    EXPECT_EQ(first_finding({ok}), "");
}

TEST(LineSchema, MemoryFollowsPathsNotLines) {
    LineSchema schema;
    for (int i = 0; i < 10000; ++i)
        ASSERT_EQ(schema.check(R"({"text":"x","metadata":{"year":)" + std::to_string(i) + R"(,"tags":["a","b"]}})",
                               "f:" + std::to_string(i + 1)),
                  "");
    EXPECT_EQ(schema.paths(), 6u);  // $ .text .metadata .metadata.year .metadata.tags .metadata.tags[]
}
