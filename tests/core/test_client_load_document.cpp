// `clara-stream load` input lines: validation, decoding, COPY rows
// (client/core/load_document).
#include "core/load_document.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

using clara::cli::append_copy_row;
using clara::cli::append_copy_text_field;
using clara::cli::is_iso_timestamp;
using clara::cli::LoadDocument;
using clara::cli::MetadataTypeCheck;
using clara::cli::parse_load_document;

namespace {

std::string reason(const std::string &line) {
    LoadDocument doc;
    return parse_load_document(line, doc);
}

LoadDocument parsed(const std::string &line) {
    LoadDocument doc;
    std::string r = parse_load_document(line, doc);
    EXPECT_EQ(r, "") << line;
    return doc;
}

::testing::AssertionResult rejected_because(const std::string &line, const std::string &part) {
    std::string r = reason(line);
    if (r.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << line << " -> \"" << r << "\", expected it to mention \"" << part << "\"";
}

}  // namespace

TEST(ClientLoadDocument, MinimalDocument) {
    LoadDocument doc = parsed(R"({"document_id":"d1","content":"Text"})");
    EXPECT_EQ(doc.document_id, "d1");
    EXPECT_EQ(doc.content, "Text");
    EXPECT_FALSE(doc.title);
    EXPECT_FALSE(doc.created_at);
    EXPECT_EQ(doc.metadata_json, "{}");
    EXPECT_EQ(doc.citations_json, "[]");
}

TEST(ClientLoadDocument, AllFields) {
    LoadDocument doc = parsed(
        R"( { "document_id" : "d2", "title": "Größe \"A\"", "content": "a\nb\\c\t\u00e4\ud83c\udf1e", "domain": "baurecht",)"
        R"( "document_type": null, "source": "s", "created_at": "2024-02-29T12:00:00+01:00",)"
        R"( "metadata": {"year": 2024, "tags": ["x"], "gericht": null}, "citations": ["d1", "d0"] } )");
    EXPECT_EQ(*doc.title, "Größe \"A\"");
    EXPECT_EQ(doc.content, "a\nb\\c\tä🌞");
    EXPECT_EQ(*doc.domain, "baurecht");
    EXPECT_FALSE(doc.document_type);
    EXPECT_EQ(*doc.created_at, "2024-02-29T12:00:00+01:00");
    EXPECT_EQ(doc.metadata_json, R"({"year": 2024, "tags": ["x"], "gericht": null})");
    EXPECT_EQ(doc.citations_json, R"(["d1", "d0"])");
    ASSERT_EQ(doc.metadata_types.size(), 3u);
    EXPECT_EQ(doc.metadata_types[0].first, "year");
    EXPECT_EQ(doc.metadata_types[0].second, clara::cli::JsonType::number);
}

TEST(ClientLoadDocument, ReusedDocumentIsReset) {
    LoadDocument doc;
    ASSERT_EQ(parse_load_document(R"({"document_id":"a","content":"x","title":"T","metadata":{"k":1}})", doc), "");
    ASSERT_EQ(parse_load_document(R"({"document_id":"b","content":"y"})", doc), "");
    EXPECT_FALSE(doc.title);
    EXPECT_EQ(doc.metadata_json, "{}");
    EXPECT_TRUE(doc.metadata_types.empty());
}

TEST(ClientLoadDocument, NullOptionalFieldsAndCrlf) {
    LoadDocument doc = parsed("{\"document_id\":\"d\",\"content\":\"\",\"metadata\":null,\"citations\":null}\r");
    EXPECT_EQ(doc.content, "");
    EXPECT_EQ(doc.metadata_json, "{}");
    EXPECT_EQ(doc.citations_json, "[]");
}

TEST(ClientLoadDocument, RequiredFields) {
    EXPECT_TRUE(rejected_because(R"({"content":"x"})", "document_id is missing"));
    EXPECT_TRUE(rejected_because(R"({"document_id":null,"content":"x"})", "document_id is missing"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"","content":"x"})", "document_id must not be empty"));
    EXPECT_TRUE(rejected_because(R"({"document_id":7,"content":"x"})", "document_id must be a string, not a number"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d"})", "content is missing"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":["x"]})", "content must be a string, not an array"));
}

TEST(ClientLoadDocument, FieldTypes) {
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","title":1})", "title must be a string or null"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":[]})", "metadata must be an object"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":"{}"})", "metadata must be an object"));
    EXPECT_TRUE(
        rejected_because(R"({"document_id":"d","content":"x","citations":"d1"})", "citations must be an array"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","citations":[1]})",
                                 "citations must be document_id strings"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","citations":[""]})", "non-empty"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","created_at":"yesterday"})", "ISO 8601"));
}

TEST(ClientLoadDocument, UnknownAndRepeatedKeys) {
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","text":"y"})", "unknown key \"text\""));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","content":"y"})", "\"content\" appears twice"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"a":1,"a":2}})", "appears twice"));
}

// Found while writing the load_document fuzz target (too long for its inputs
// to reach): repeats were found by comparing each key with every earlier
// one, so one line with 50,000 metadata keys (540 KB) took 3 s, 30 s under
// ASan, and stalled the loader. Repeats are still found far apart.
TEST(ClientLoadDocument, ManyMetadataKeys) {
    auto line = [](int keys, int repeat_of) {
        std::string s = R"({"document_id":"d","content":"x","metadata":{)";
        for (int i = 0; i < keys; i++) s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
        if (repeat_of >= 0) s += ",\"k" + std::to_string(repeat_of) + "\":{}";
        return s + "}}";
    };
    LoadDocument doc = parsed(line(50000, -1));
    EXPECT_EQ(doc.metadata_types.size(), 50000u);
    EXPECT_TRUE(rejected_because(line(5, 2), "key \"k2\" appears twice"));
    EXPECT_TRUE(rejected_because(line(40, 3), "key \"k3\" appears twice"));
    EXPECT_TRUE(rejected_because(line(40, 39), "key \"k39\" appears twice"));
    EXPECT_TRUE(rejected_because(line(50000, 49000), "key \"k49000\" appears twice"));
}

// Found by build/fuzz/load_document: a number jsonb cannot store (1e999999)
// passed the check, and the server's COPY then failed for the whole load.
// Every one of these is a bad line now (NumbersJsonbAndDoubleCanHold below
// has the exact limits).
TEST(ClientLoadDocument, NumbersJsonbCannotStore) {
    auto with = [](const std::string &number) {
        return R"({"document_id":"d","content":"x","metadata":{"n":)" + number + "}}";
    };
    for (const char *fits : {"1e308", "-0.0e1000", "1e-300", "123.456", "0.0001e-16379"})
        EXPECT_EQ(reason(with(fits)), "") << fits;
    for (const char *overflows : {"1e131072", "1.5e-16383", "0.0001e-16380", "0e-20000", "0e1073741823", "1e1073741823",
                                  "1e-1073741823", "2e0215555555555555555555555", "1e999999"})
        EXPECT_NE(reason(with(overflows)), "") << overflows;
    EXPECT_NE(reason(with("1" + std::string(131072, '0'))), "");
    EXPECT_EQ(reason(with("0." + std::string(16383, '1'))), "");
    EXPECT_NE(reason(with("0." + std::string(16384, '1'))), "");
}

TEST(ClientLoadDocument, NotJson) {
    EXPECT_TRUE(rejected_because("", "not valid JSON"));
    EXPECT_TRUE(rejected_because("[1]", "expected a JSON object, got an array"));
    EXPECT_TRUE(rejected_because("bad", "not valid JSON at column 1: expected a value"));
    EXPECT_TRUE(rejected_because("\"x\"", "expected a JSON object, got a string"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x")", "not valid JSON at column 33"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x"} {})", "text after the object"));
    EXPECT_TRUE(rejected_because(R"({'document_id':"d"})", "not valid JSON at column 2"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x",})", "not valid JSON"));
    EXPECT_TRUE(rejected_because("{\"document_id\":\"d\",\"content\":\"a\tb\"}", "control character"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"n":01}})", "not valid JSON"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"n":NaN}})", "not valid JSON"));
}

TEST(ClientLoadDocument, WhatPostgresCannotStore) {
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"a\u0000b"})", "\\u0000"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"k":"\u0000"}})", "\\u0000"));
    EXPECT_TRUE(rejected_because(std::string("{\"document_id\":\"d\",\"content\":\"\xff\"}"), "invalid UTF-8"));
    EXPECT_TRUE(rejected_because(std::string("{\"document_id\":\"d\",\"content\":\"\xc3\"}"), "invalid UTF-8"));
    EXPECT_TRUE(rejected_because(std::string("{\"document_id\":\"d\",\"content\":\"\xed\xa0\x80\"}"), "invalid UTF-8"));
    EXPECT_TRUE(rejected_because(std::string("{\"document_id\":\"d\",\"content\":\"\xc0\xaf\"}"), "invalid UTF-8"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"\ud800"})", "surrogate"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"\udc00x"})", "surrogate"));
}

TEST(ClientLoadDocument, Timestamps) {
    for (const char *ok :
         {"2024-01-31", "2024-02-29", "2000-02-29", "2024-01-31T12:00", "2024-01-31 12:00:59", "2024-01-31T12:00:00Z",
          "2024-01-31T12:00:00.123456+01:00", "2024-01-31T12:00:00-0530", "2024-01-31T12:00:00+02"})
        EXPECT_TRUE(is_iso_timestamp(ok)) << ok;
    for (const char *bad :
         {"", "2024", "2024-1-31", "2023-02-29", "1900-02-29", "2024-13-01", "2024-04-31", "2024-01-31T24:00",
          "2024-01-31T12", "2024-01-31T12:00:60", "2024-01-31T12:00:00.", "2024-01-31T12:00:00+1",
          "2024-01-31T12:00:00+01:", "2024-01-31Z0", "31.01.2024", "0000-01-01", "2024-01-31T12:00:00 UTC"})
        EXPECT_FALSE(is_iso_timestamp(bad)) << bad;
}

TEST(ClientCopyRow, EscapesTextFormat) {
    std::string out;
    append_copy_text_field(out, "a\\b\nc\rd\te\x01ü");
    EXPECT_EQ(out, "a\\\\b\\nc\\rd\\te\x01ü");
}

TEST(ClientCopyRow, ColumnsInStagingOrder) {
    LoadDocument doc = parsed(R"({"document_id":"d\\1","content":"line1\nline2","domain":"bau\trecht",)"
                              R"("metadata":{"p":"a\\b"},"citations":["x"]})");
    std::string row;
    append_copy_row(row, 42, doc);
    EXPECT_EQ(row, "42\td\\\\1\t\\N\tline1\\nline2\tbau\\trecht\t\\N\t\\N\t\\N\t{\"p\":\"a\\\\\\\\b\"}\t[\"x\"]\n");
}

TEST(ClientMetadataTypes, RefusesATypeChangeWithinTheFileAndIgnoresNull) {
    MetadataTypeCheck check;
    EXPECT_EQ(check.check(parsed(R"({"document_id":"a","content":"","metadata":{"year":2020,"g":null}})"), 1).conflict,
              "");
    EXPECT_EQ(check.check(parsed(R"({"document_id":"b","content":"","metadata":{"year":null,"g":"x"}})"), 2).conflict,
              "");
    std::string c = check.check(parsed(R"({"document_id":"c","content":"","metadata":{"year":"2020"}})"), 3).conflict;
    EXPECT_NE(c.find("metadata key \"year\" is a string, but a number on line 1"), std::string::npos) << c;
    // A refused line does not change what later lines are checked against.
    c = check.check(parsed(R"({"document_id":"d","content":"","metadata":{"year":"2021"}})"), 4).conflict;
    EXPECT_NE(c.find("but a number on line 1"), std::string::npos) << c;
    // g became a string on line 2 (null on line 1 fixed nothing).
    c = check.check(parsed(R"({"document_id":"e","content":"","metadata":{"g":[1]}})"), 5).conflict;
    EXPECT_NE(c.find("\"g\" is an array, but a string on line 2"), std::string::npos) << c;
}

TEST(ClientMetadataTypes, ChecksAgainstTheStoredTypes) {
    MetadataTypeCheck check;
    check.add_stored("year", "number");
    check.add_stored("tags", "array");
    check.add_stored("later", "null");  // only nulls stored: any type may come
    std::string c = check.check(parsed(R"({"document_id":"a","content":"","metadata":{"year":"1999"}})"), 7).conflict;
    EXPECT_EQ(c,
              "metadata key \"year\" is a string, but the stored documents have a number (one JSON type per key: "
              "docs/training.md#stable-types)");
    // A conflict on one key refuses the whole document: its other keys are not remembered.
    c = check.check(parsed(R"({"document_id":"b","content":"","metadata":{"later":true,"tags":{}}})"), 8).conflict;
    EXPECT_NE(c.find("\"tags\" is an object, but the stored documents have an array"), std::string::npos) << c;
    EXPECT_EQ(check.check(parsed(R"({"document_id":"c","content":"","metadata":{"later":"x","year":2}})"), 9).conflict,
              "");
    c = check.check(parsed(R"({"document_id":"d","content":"","metadata":{"later":1}})"), 10).conflict;
    EXPECT_NE(c.find("\"later\" is a number, but a string on line 9"), std::string::npos) << c;
}

// The SAX-based parser against nlohmann/json's document parser on mutated
// lines (what the handler adds must not change what is JSON): whatever
// nlohmann rejects, we reject; whatever it accepts, we accept with the same
// decoded content, except what PostgreSQL cannot store (\u0000) and repeated
// keys, which we reject on purpose.
TEST(ClientLoadDocument, AgreesWithNlohmannOnMutations) {
    const std::string seeds[] = {
        R"({"document_id":"d","content":"Ä \"q\" \\ \/ \b\f\n\r\t \u00e4 \ud83c\udf1e","metadata":{"a":[1,-2.5e+3,true,false,null,{"b":"c"}],"x":0.0}})",
        R"({"document_id":"d","content":"plain","citations":["a","b"],"metadata":{}})",
        "{\"document_id\":\"d\",\"content\":\"gr\xc3\xb6\xc3\x9f\xe2\x82\xac "
        "\xf0\x9f\x8c\x9e\",\"metadata\":{\"n\":[[[]]]}}",
    };
    const char alphabet[] = "{}[]\":,\\/ubfnrt0123456789eE+-.aA \x01\x7f\xc3\xa4\xed\xa0\xf0\x9f";
    std::mt19937 rng(4242);
    int compared = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string line = seeds[round % 3];
        int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            size_t pos = rng() % line.size();
            char c = alphabet[rng() % (sizeof alphabet - 1)];
            switch (rng() % 3) {
                case 0: line[pos] = c; break;
                case 1: line.insert(pos, 1, c); break;
                default: line.erase(pos, 1);
            }
        }
        LoadDocument doc;
        std::string ours = parse_load_document(line, doc);
        bool theirs = nlohmann::json::accept(line);
        if (!theirs) {
            EXPECT_NE(ours, "") << "accepted what nlohmann rejects: " << line;
            continue;
        }
        nlohmann::json v = nlohmann::json::parse(line);
        if (ours.empty()) {
            ++compared;
            EXPECT_EQ(doc.content, v.at("content").get<std::string>()) << line;
            EXPECT_EQ(nlohmann::json::parse(doc.metadata_json), v.value("metadata", nlohmann::json::object())) << line;
            continue;
        }
        // We rejected valid JSON: it must be a document rule, not syntax.
        EXPECT_EQ(ours.find("not valid JSON"), std::string::npos) << ours << ": " << line;
    }
    EXPECT_GT(compared, 100);
}

// What PostgreSQL would reject only after the whole file was sent (SQLSTATE
// 22003, 54000) is a bad line of its own, found by the client.
TEST(ClientLoadDocument, NumbersJsonbAndDoubleCanHold) {
    auto with = [](const std::string &number) {
        return R"({"document_id":"d","content":"x","metadata":{"n":)" + number + "}}";
    };
    for (const std::string &ok : std::vector<std::string>{
             "0", "-0.5", "1e308", "1.7976931348623157e308", "-1.7976931348623157e+308", "1e-400", "0e999",
             "0.000e-16380", "123456789012345678901234567890", "1.5e-16380", "0." + std::string(16383, '1')})
        EXPECT_EQ(reason(with(ok)), "") << ok;
    for (const std::string &range :
         std::vector<std::string>{"1e1000000", "1.8e308", "-1e309", "1" + std::string(400, '0'), "0.01e311"})
        EXPECT_TRUE(rejected_because(with(range), "beyond the range of a double")) << range;
    for (const std::string &scale :
         std::vector<std::string>{"1e-16384", "0e-1000000", "0e99999999999", "0." + std::string(16384, '1')})
        EXPECT_TRUE(rejected_because(with(scale), "PostgreSQL's numeric")) << scale;
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"a":[{"b":1e999}]}})", "double"));
}

TEST(ClientLoadDocument, IndexedFieldsHaveALimit) {
    std::string id(clara::cli::kMaxDocumentIdBytes, 'i');
    EXPECT_EQ(reason(R"({"document_id":")" + id + R"(","content":"x","citations":[")" + id + R"("]})"), "");
    EXPECT_TRUE(rejected_because(R"({"document_id":")" + id + R"(i","content":"x"})",
                                 "document_id is 1025 bytes long (at most 1024)"));
    EXPECT_TRUE(
        rejected_because(R"({"document_id":"d","content":"x","citations":["a",")" + std::string(9000, 'c') + R"("]})",
                         "citations: a document_id of 9000 bytes (at most 1024)"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","domain":")" + std::string(257, 'd') + R"("})",
                                 "domain is 257 bytes long (at most 256)"));
    EXPECT_TRUE(rejected_because(
        R"({"document_id":"d","content":"x","document_type":")" + std::string(257, 't') + R"("})", "document_type"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","source":")" + std::string(1025, 's') + R"("})",
                                 "source"));
    // content and title are in no index: no limit of their own.
    EXPECT_EQ(reason(R"({"document_id":"d","title":")" + std::string(100000, 't') + R"(","content":")" +
                     std::string(100000, 'c') + R"("})"),
              "");
}

// 200K keys in one object: comparing each key with every earlier one took
// minutes (80K keys: 40 s), which would make this suite hang visibly.
TEST(ClientLoadDocument, ManyKeysInOneObjectAreCheckedQuickly) {
    std::string metadata = "{";
    for (int i = 0; i < 200000; ++i) metadata += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    std::string line = R"({"document_id":"d","content":"x","metadata":)" + metadata + "}}";
    LoadDocument doc;
    EXPECT_EQ(parse_load_document(line, doc), "");
    EXPECT_EQ(doc.metadata_types.size(), 200000u);
    std::string repeated = R"({"document_id":"d","content":"x","metadata":)" + metadata + ",\"k123456\":0}}";
    EXPECT_TRUE(rejected_because(repeated, "metadata: key \"k123456\" appears twice in an object"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"a":1,"b":{"c":1,"c":2}}})",
                                 "key \"c\" appears twice"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"a":1,"\u0061":2}})",
                                 "key \"a\" appears twice"));
}

TEST(ClientMetadataTypes, MemoryIsBoundedByDistinctKeys) {
    MetadataTypeCheck check;
    std::string warned;
    for (size_t i = 0; i < clara::cli::kMaxTrackedMetadataKeys + 50; ++i) {
        MetadataTypeCheck::Verdict v = check.check(
            parsed(R"({"document_id":"a","content":"","metadata":{"key)" + std::to_string(i) + R"(":1}})"), i + 1);
        EXPECT_EQ(v.conflict, "");
        if (!v.warning.empty()) {
            EXPECT_EQ(warned, "") << "warned twice";
            warned = v.warning;
        }
    }
    EXPECT_EQ(check.tracked(), clara::cli::kMaxTrackedMetadataKeys);
    EXPECT_NE(warned.find("\"key10000\" is one more than the 10000 distinct keys"), std::string::npos) << warned;
    // Keys seen before the limit are still checked.
    std::string c = check.check(parsed(R"({"document_id":"b","content":"","metadata":{"key7":"x"}})"), 99999).conflict;
    EXPECT_NE(c.find("\"key7\" is a string, but a number on line 8"), std::string::npos) << c;
}

// Syntax errors name the byte column where the offending token begins, as
// before nlohmann read the lines.
TEST(ClientLoadDocument, SyntaxErrorColumns) {
    EXPECT_TRUE(rejected_because(R"({"document_id":"d" "content":"x"})", "column 20: expected ',' or '}'"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"n":01}})", "column 51:"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"a" 1}})", "column 50: expected ':'"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x","metadata":{"a":[1,2}}})",
                                 "column 54: expected ',' or ']'"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":tru})", "column 30: invalid literal"));
    EXPECT_TRUE(rejected_because(R"({"document_id":"d","content":"x"}  x)", "column 36: text after the object"));
    EXPECT_TRUE(
        rejected_because("\xEF\xBB\xBF{\"document_id\":\"d\",\"content\":\"x\"}", "column 1: expected a value"));
    // The rest of the line is not repeated in the message.
    std::string r = reason(R"({"document_id":"d","content":")" + std::string(100000, 'x'));
    EXPECT_NE(r.find("column 100031"), std::string::npos) << r.substr(0, 200);
    EXPECT_LT(r.size(), 200u) << r.substr(0, 200);
}

// metadata nests at most 256 deep (the line's object is level 0).
TEST(ClientLoadDocument, NestingLimit) {
    auto nested = [](int arrays) {
        return R"({"document_id":"d","content":"x","metadata":{"a":)" + std::string(arrays, '[') +
               std::string(arrays, ']') + "}}";
    };
    EXPECT_EQ(reason(nested(255)), "");
    EXPECT_TRUE(rejected_because(nested(256), "not valid JSON at column 305: nested too deeply"));
    EXPECT_TRUE(rejected_because(nested(100000), "nested too deeply"));
}
