// Tokenizers of users' models (core/model_tokenizer.hpp) registered in clara_tokenizers,
// parsed once per backend: a few are kept by the sha256 of their file.
#pragma once

#include "model_tokenizer.hpp"
#include "pg.hpp"

namespace clara::pg {

// The registered tokenizer called name, valid until owner is reset or
// deleted; ERROR 42704 if there is none, 22023 if its file cannot be used.
// SPI must be connected.
const clara::ModelTokenizer *tokenizer_by_name(const char *name, MemoryContext owner);

// Chunking arguments: checked, with SQLSTATE 22023 and a hint for bad ones.
void check_chunking(const char *tokenizer, int32 chunk_tokens, int32 chunk_overlap);

}  // namespace clara::pg
