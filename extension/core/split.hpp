// Train / validation / test splits that do not move between exports. Pure C++17.
//
// A document's place in [0, 1) is a hash of the seed and its document_id
// (split_point: FNV-1a 64 over "<seed>:<document_id>" bytes, then the
// splitmix64 finaliser, top 53 bits / 2^53), so the same document lands in
// the same split in every export with that seed, whatever the query, and all
// chunks of a document go together. The named splits take consecutive
// ranges in the order given ("validation=0.02,test=0.01": [0, 0.02)
// validation, [0.02, 0.03) test); "train" takes the rest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clara {

struct SplitSpec {
    std::vector<std::pair<std::string, double>> parts;  // name, fraction; train is the rest
};

// Parses "name=fraction[,name=fraction...]". Empty when fine, else why not.
// Names: lower-case letters, digits, '_' and '-', starting with a letter,
// not "train", each once; fractions > 0 and together < 1.
std::string parse_split_spec(std::string_view text, SplitSpec *spec);

double split_point(int64_t seed, std::string_view document_id);

// The split of a point: a named part or "train".
std::string_view assign_split(const SplitSpec &spec, double point);

}  // namespace clara
