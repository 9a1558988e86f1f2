// The catalogue of metadata keys (clara_metadata_keys): every top-level key
// of the stored documents' metadata and its JSON type, kept by a statement
// trigger on clara_documents that refuses a document whose value has another
// type than the one stored. Exports read it to give every line every key
// (docs/training.md#stable-types).
#pragma once

#include "pg.hpp"

#include <string>
#include <vector>

namespace clara::pg {

// Most keys the catalogue holds; a statement that would add more fails (54000).
constexpr int kMaxMetadataKeys = 1024;
// Longest key, in bytes (the catalogue's primary key is a btree entry).
constexpr int kMaxMetadataKeyBytes = 1024;

// The catalogued keys in jsonb key order (shorter first, then bytewise),
// read as the extension's owner (SPI connected); the vector belongs to owner.
const std::vector<std::string> *load_metadata_keys(const char *schema, MemoryContext owner);

}  // namespace clara::pg
