// `clara-stream eval-set register NAME FILE.jsonl` and `eval-set drop NAME`:
// evaluation sets for --decontaminate (docs/training.md#decontamination).
#pragma once

#include "core/connection_target.hpp"

#include <string>

namespace clara::cli {

struct EvalSetOptions {
    std::string name;
    std::string input;  // JSONL with a "text" field per line, - for stdin (register)
    int n = 13;         // words per gram (register)
    ConnectionTarget connection;
    bool quiet = false;
};

// Sends the file's texts in batches to a temporary table and registers them
// with clara_register_eval_set, in one transaction: all or nothing.
void run_eval_set_register(const EvalSetOptions &options);
void run_eval_set_drop(const EvalSetOptions &options);

}  // namespace clara::cli
