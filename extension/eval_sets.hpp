// Evaluation sets for decontamination (docs/training.md#decontamination):
// clara_register_eval_set / clara_unregister_eval_set, and the gram sets an
// export loads to check its documents against.
#pragma once

#include "decontam.hpp"
#include "pg.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace clara::pg {

// The grams of the named evaluation sets, one GramSet per gram length, and
// scratch for a document's grams. Lives in a memory context (make_owned):
// its size follows the evaluation sets (8 bytes a distinct gram), not top_k.
struct EvalGrams {
    std::vector<std::pair<uint32_t, clara::GramSet>> by_length;
    std::vector<uint64_t> doc_grams, words;
};

// Loads the sets named in names (a text[]) into an EvalGrams owned by owner;
// an error naming the first set that is not registered. Runs inside SPI.
EvalGrams *load_eval_sets(ArrayType *names, MemoryContext owner);

// The number of distinct grams of text found in the sets (summed over gram
// lengths; 0: clean).
int64 eval_overlap(EvalGrams *sets, std::string_view text);

}  // namespace clara::pg
