// The training-line encoder: escaping, numbers, key order.
#include "jsonl.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace {

std::string json_string(std::string_view s) {
    std::string out;
    clara::append_json_string(out, s);
    return out;
}

std::string json_double(double v) {
    std::string out;
    clara::append_json_double(out, v);
    return out;
}

}  // namespace

TEST(JsonString, EscapesWhatJsonRequires) {
    EXPECT_EQ(json_string("plain"), "\"plain\"");
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    EXPECT_EQ(json_string(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
    EXPECT_EQ(json_string(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonString, KeepsUtf8AndDelAsTheyAre) {
    EXPECT_EQ(json_string("Größe € 🌞"), "\"Größe € 🌞\"");
    EXPECT_EQ(json_string("\x7f"), "\"\x7f\"");
}

TEST(JsonString, RoundTripsThroughAParser) {
    std::string nasty;
    for (int c = 1; c < 128; ++c) nasty.push_back(static_cast<char>(c));
    nasty += "Äöü ß \"quoted\" \\back\\slash";
    auto parsed = nlohmann::json::parse(json_string(nasty));
    EXPECT_EQ(parsed.get<std::string>(), nasty);
}

// The escaper skips eight clean bytes at a time: every byte value at every
// offset of strings around word boundaries must come out as the plain
// byte-at-a-time rule writes it.
TEST(JsonString, WordAtATimeScanMatchesTheByteRule) {
    auto by_bytes = [](const std::string &s) {
        std::string out = "\"";
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                out.push_back('\\');
                out.push_back(static_cast<char>(c));
            } else if (c < 0x20) {
                // \b \t \n and \f \r (bytes 8, 9, 10, 12, 13) have short forms.
                const char short_form[] = "btn?fr";
                char esc[8];
                if (c >= 8 && c <= 13 && c != 11)
                    snprintf(esc, sizeof esc, "\\%c", short_form[c - 8]);
                else
                    snprintf(esc, sizeof esc, "\\u%04x", c);
                out += esc;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        return out + "\"";
    };
    for (size_t len : {7u, 8u, 9u, 15u, 16u, 17u, 31u, 33u})
        for (size_t at = 0; at < len; ++at)
            for (int c = 0; c < 256; ++c) {
                std::string s(len, 'x');
                s[at] = static_cast<char>(c);
                if (at + 1 < len) s[at + 1] = static_cast<char>(0xC3);  // UTF-8 lead byte next to it
                ASSERT_EQ(json_string(s), by_bytes(s)) << "length " << len << ", byte " << c << " at " << at;
            }
}

TEST(JsonDouble, ShortestRoundTripAlwaysFloatTyped) {
    EXPECT_EQ(json_double(0.5), "0.5");
    EXPECT_EQ(json_double(1.0), "1.0");
    EXPECT_EQ(json_double(0.0), "0.0");
    EXPECT_EQ(json_double(0.1), "0.1");
    EXPECT_EQ(json_double(1e-5), "1e-05");
    EXPECT_EQ(json_double(0.8123), "0.8123");
    // The same layout as Python's repr(float).
    EXPECT_EQ(json_double(0.0006), "0.0006");
    EXPECT_EQ(json_double(0.0001), "0.0001");
    EXPECT_EQ(json_double(0.00012345), "0.00012345");
    EXPECT_EQ(json_double(123.5), "123.5");
    EXPECT_EQ(json_double(100.0), "100.0");
    EXPECT_EQ(json_double(2000.0), "2000.0");
    EXPECT_EQ(json_double(12.0), "12.0");
    EXPECT_EQ(json_double(-2.5), "-2.5");
    EXPECT_EQ(json_double(1e16), "1e+16");
    EXPECT_EQ(json_double(1.5e16), "1.5e+16");
    EXPECT_EQ(json_double(1234567890123456.0), "1234567890123456.0");
    EXPECT_EQ(json_double(2.5e-7), "2.5e-07");
    double third = 1.0 / 3.0;
    EXPECT_EQ(std::stod(json_double(third)), third);
}

TEST(JsonDouble, NonFiniteIsNull) {
    EXPECT_EQ(json_double(std::nan("")), "null");
    EXPECT_EQ(json_double(1.0 / 0.0), "null");
}

TEST(JsonbKeyOrder, ShorterFirstThenBytes) {
    EXPECT_TRUE(clara::jsonb_key_less("title", "domain"));
    EXPECT_TRUE(clara::jsonb_key_less("domain", "document_type"));
    EXPECT_TRUE(clara::jsonb_key_less("abc", "abd"));
    EXPECT_FALSE(clara::jsonb_key_less("abd", "abc"));
    EXPECT_FALSE(clara::jsonb_key_less("same", "same"));
}

TEST(TrainingLine, FixedKeyOrderOneLine) {
    clara::TrainingLine line;
    line.text = "Zeile 1\nZeile 2";
    line.metadata_json = R"({"title":"T","domain":"baurecht","document_type":null})";
    line.source = "vg";
    line.quality_score = 0.75;
    line.document_id = "doc-1";
    line.relevance_score = 1.0;
    std::string out;
    clara::append_training_line(out, line);
    EXPECT_EQ(out, R"({"text":"Zeile 1\nZeile 2","metadata":{"title":"T","domain":"baurecht","document_type":null},)"
                   R"("source":"vg","quality_score":0.75,"document_id":"doc-1","relevance_score":1.0})");
    EXPECT_EQ(out.find('\n'), std::string::npos);

    auto parsed = nlohmann::ordered_json::parse(out);
    std::vector<std::string> keys;
    for (auto &item : parsed.items()) keys.push_back(item.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"text", "metadata", "source", "quality_score", "document_id",
                                              "relevance_score"}));
}

TEST(TrainingLine, NullSource) {
    clara::TrainingLine line;
    line.text = "x";
    line.metadata_json = "{}";
    line.source_is_null = true;
    line.document_id = "d";
    std::string out;
    clara::append_training_line(out, line);
    EXPECT_NE(out.find(R"("source":null)"), std::string::npos);
}

TEST(LineFormat, TemplatesAndShapes) {
    clara::LineFormat f;
    EXPECT_TRUE(clara::parse_line_format("prompt-completion", &f));
    EXPECT_EQ(f, clara::LineFormat::kPromptCompletion);
    EXPECT_FALSE(clara::parse_line_format("sharegpt", &f));
    EXPECT_EQ(clara::check_template("{title}\n\n{text} {{x}} {query}"), "");
    EXPECT_NE(clara::check_template("{titel}"), "");
    EXPECT_NE(clara::check_template("{title"), "");
    EXPECT_NE(clara::check_template("a } b"), "");
    clara::TemplateValues v;
    v.title = "T";
    v.text = "body \"q\"";
    std::string out;
    clara::render_template(out, "{{{title}}}: {text}{source}", v);
    EXPECT_EQ(out, "{T}: body \"q\"");  // a NULL source renders as ""

    clara::TrainingLine line;
    line.format = clara::LineFormat::kMessages;
    line.prompt = "P";
    line.text = "A\n";
    line.metadata_json = "{}";
    line.document_id = "d";
    std::string json;
    clara::append_training_line(json, line);
    EXPECT_EQ(json,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"P\"},{\"role\":\"assistant\",\"content\":\"A\\n\"}],"
              "\"metadata\":{},\"source\":\"\",\"quality_score\":0.0,\"document_id\":\"d\",\"relevance_score\":0.0}");
    json.clear();
    line.format = clara::LineFormat::kAlpaca;
    clara::append_training_line(json, line);
    EXPECT_EQ(json.substr(0, 44), "{\"instruction\":\"P\",\"input\":\"\",\"output\":\"A\\n\"");
}
