// Tokenizers of users' models (core/model_tokenizer.hpp) registered in clara_tokenizers,
// parsed once per backend and kept while their sha256 stays the same.
#pragma once

#include "model_tokenizer.hpp"
#include "pg.hpp"

namespace clara::pg {

// The registered tokenizer called name; ERROR 42704 if there is none, 22023
// if its file cannot be used. SPI must be connected.
const clara::ModelTokenizer *tokenizer_by_name(const char *name);

// Chunking arguments: checked, with SQLSTATE 22023 and a hint for bad ones.
void check_chunking(const char *tokenizer, int32 chunk_tokens, int32 chunk_overlap);

}  // namespace clara::pg
