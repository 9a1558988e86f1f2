// What `--output-dir DIR --resume` needs to continue a killed export: the
// export's arguments, a fingerprint of the corpus it ranked, and every shard
// it completed (rows, sizes, SHA-256 of the file and of its text), kept in
// DIR.partial/resume.json and rewritten atomically after each shard. The
// file is removed before DIR.partial becomes DIR.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace clara::cli {

// The state file's name inside DIR.partial.
inline constexpr const char *kResumeStateName = "resume.json";

struct ShardRecord {
    std::string split;
    std::string name;  // as in DIR.partial: without "-of-MMMMM"
    uint64_t rows = 0;
    uint64_t text_bytes = 0;  // the lines' bytes
    uint64_t bytes = 0;       // the file's bytes (compressed or not)
    std::string sha256;       // of the file
    std::string text_sha256;  // of the lines: what a resumed export checks its regenerated lines against
};

struct ResumeState {
    // Everything that shapes the bytes: the manifest's "query" and
    // "training", compression, shard_size, the client's and extension's versions.
    nlohmann::json arguments;
    nlohmann::json corpus;   // the corpus fingerprint at the first run's snapshot
    nlohmann::json command;  // the first run's command line (the manifest's "command")
    // One entry per run: created_at, the database object (snapshot, LSN),
    // shards_verified, shards_written.
    nlohmann::json runs = nlohmann::json::array();
    std::vector<ShardRecord> shards;  // completed, in the order they were completed
};

// Throws Failure(resume_refused) when the file is missing or not a state
// this client wrote.
ResumeState read_resume_state(const std::string &partial_dir);
// resume.json.tmp, fsync, rename to resume.json, fsync the directory.
// Throws Failure(io).
void write_resume_state(const std::string &partial_dir, const ResumeState &state);

// The differences between two argument objects, one per leaf, by its path:
// "query.top_k: 3000 before, 2000 now".
std::vector<std::string> argument_differences(const nlohmann::json &before, const nlohmann::json &now);

}  // namespace clara::cli
