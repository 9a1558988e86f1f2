// Per-document quality score from content heuristics. Pure C++17: no
// PostgreSQL headers, no third-party dependencies.
//
// The score is a document property in 0..1, computed once when a document is
// stored, independent of any query, and explainable through its signals
// (append_quality_signals_json). Every definition, threshold and weight is
// documented in docs/quality.md; the constants live in one block at the top of
// quality.cpp.
//
// Deterministic: the same input always gives bit-identical signals. Never
// throws anything but std::bad_alloc. Any byte sequence is accepted; invalid
// UTF-8 bytes count as symbols (non-letters).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace clara {

// Bumped whenever a definition, threshold or weight changes, so that stored
// signals can be told apart from (and recomputed to) the current ones.
inline constexpr int kQualityVersion = 2;

struct QualityInput {
    std::string_view title;           // not used by the heuristics (only counted in metadata)
    std::string_view content;         // UTF-8
    int metadata_fields_present = 0;  // of title, domain, document_type, source, created_at: how many are non-empty
    int metadata_fields_total = 5;
};

struct QualitySignals {
    // Raw measurements (definitions in docs/quality.md).
    size_t char_count = 0;                   // code points (an invalid byte counts as one)
    size_t word_count = 0;                   // whitespace-separated tokens with at least one letter or digit
    size_t line_count = 0;                   // non-blank lines
    double mean_word_length = 0.0;           // letters+digits per word
    double symbol_ratio = 0.0;               // symbol code points / non-space code points
    double non_letter_ratio = 0.0;           // non-letter code points / non-space code points
    double duplicate_line_fraction = 0.0;    // chars in repeats of an earlier line / chars in lines
    double duplicate_ngram_fraction = 0.0;   // word chars inside repeated word 5-grams / word chars
    double boilerplate_line_fraction = 0.0;  // chars in boilerplate lines / chars in lines
    double stopword_ratio = 0.0;             // max(stopword_ratio_de, stopword_ratio_en)
    double stopword_ratio_de = 0.0;          // German stopword tokens / words
    double stopword_ratio_en = 0.0;          // English stopword tokens / words
    double mojibake_ratio = 0.0;             // mis-decoded UTF-8 ("Ã¤", "â€", U+FFFD) per word
    double mixed_word_ratio = 0.0;           // words mixing letters and digits ("Antrag" OCR'd as "Antrag1c") / words
    const char *language = "none";           // "de", "en" or "none"
    double metadata_completeness = 0.0;      // present / total, clamped to 0..1

    // Per-signal subscores in 0..1 (1 = no objection) and the final score.
    double length_score = 0.0;
    double word_length_score = 0.0;
    double symbol_score = 0.0;
    double repetition_score = 0.0;
    double boilerplate_score = 0.0;
    double stopword_score = 0.0;
    double metadata_score = 0.0;
    double encoding_score = 0.0;  // mojibake and OCR letter/digit confusion
    double score = 0.0;           // 0..1, rounded to 4 decimals
};

QualitySignals assess_quality(const QualityInput &in);

// Appends the signals as one compact JSON object on one line (no newline),
// keys in a fixed order, doubles rounded to 4 decimals.
void append_quality_signals_json(std::string &out, const QualitySignals &s);

}  // namespace clara
