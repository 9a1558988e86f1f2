// JSON line building for the training format. Pure C++: no PostgreSQL headers.
//
// One encoder for every layer: the extension builds each training line with
// append_training_line(), and the CLI, HTTP server and Python package ship
// those bytes unchanged.
#pragma once

#include <string>
#include <string_view>

namespace clara {

// Appends s as a JSON string literal (with quotes). Escapes '"', '\\' and
// every control character below 0x20 (\b \f \n \r \t, else \u00xx in lower
// case hex), like Python's json.dumps(ensure_ascii=False); other bytes are
// copied as they are (the input is valid UTF-8).
void append_json_string(std::string &out, std::string_view s);

// Appends a double in the shortest form that reads back to the same value,
// exactly as Python's repr(float) writes it: always with a '.' or an
// exponent, so every line has the same JSON type (1 is 1.0, 0.0006 is
// 0.0006, 1e-05 stays 1e-05). NaN and infinities become null.
void append_json_double(std::string &out, double v);

// jsonb orders object keys by length first, then bytewise; metadata merging
// follows the same order so the result equals PostgreSQL's `a || b`.
bool jsonb_key_less(std::string_view a, std::string_view b);

// The shape of a line for the trainer (--format). Every format keeps the
// provenance keys (metadata, source, quality_score, document_id,
// relevance_score); the text becomes:
//   raw               "text": the document (or chunk)
//   text              "text": text_template rendered ("{title}\n\n{text}")
//   messages          "messages": [{"role": "user", "content": prompt},
//                                  {"role": "assistant", "content": text}]
//   prompt-completion "prompt": prompt, "completion": text
//   alpaca            "instruction": prompt, "input": "", "output": text
// where prompt is prompt_template rendered ("{title}").
enum class LineFormat { kRaw, kText, kMessages, kPromptCompletion, kAlpaca };
bool parse_line_format(std::string_view name, LineFormat *out);
constexpr const char *kLineFormats = "raw, text, messages, prompt-completion, alpaca";
constexpr const char *kDefaultTextTemplate = "{title}\n\n{text}";
constexpr const char *kDefaultPromptTemplate = "{title}";

// Template placeholders: {title} {text} {query} {document_id} {source}
// {domain} {document_type}; "{{" and "}}" are literal braces. A NULL value
// renders as "".
struct TemplateValues {
    std::string_view title, text, query, document_id, source, domain, document_type;
};
// Empty when tmpl is usable, else why not (one line).
std::string check_template(std::string_view tmpl);
void render_template(std::string &out, std::string_view tmpl, const TemplateValues &v);

// The fields of one training line, in their fixed output order. metadata_json
// is an already serialised JSON object.
struct TrainingLine {
    LineFormat format = LineFormat::kRaw;
    std::string_view prompt;  // rendered, for messages / prompt-completion / alpaca
    std::string_view text;
    std::string_view metadata_json;
    std::string_view source;
    bool source_is_null = false;
    double quality_score = 0.0;
    std::string_view document_id;
    double relevance_score = 0.0;
};

// Appends {"text":...,"metadata":{...},"source":...,"quality_score":...,
// "document_id":...,"relevance_score":...} without a trailing newline; other
// formats replace "text" by their fields (text: already rendered).
void append_training_line(std::string &out, const TrainingLine &line);

}  // namespace clara
