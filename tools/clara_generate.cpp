// clara-generate --docs N [--seed S] [--output FILE|-]
//
// Writes the deterministic sample corpus (client/core/corpus_generator.hpp) as
// JSONL. Default output is stdout. A regular FILE is written as FILE.partial and
// renamed when complete, so an interrupted run never leaves a complete-looking
// file; special files (/dev/null, pipes) are written directly.
//
// Exit codes: 0 ok, 2 bad arguments, 1 I/O error.
#include "core/corpus_generator.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

const char kUsage[] = "usage: clara-generate --docs N [--seed S] [--output FILE|-]";

bool parse_u64(const char *s, uint64_t &out) {
  if (!s || !*s) return false;
  uint64_t v = 0;
  for (const char *p = s; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

int usage_error(const std::string &msg) {
  std::fprintf(stderr, "clara-generate: %s (%s)\n", msg.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  clara::CorpusOptions opt;
  bool have_docs = false;
  std::string output = "-";

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::printf("%s\n", kUsage);
      return 0;
    }
    std::string name = arg, value;
    bool inline_value = false;
    if (arg.rfind("--", 0) == 0) {
      std::size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        inline_value = true;
      }
    }
    if (name != "--docs" && name != "--seed" && name != "--output")
      return usage_error("unknown argument '" + arg + "'");
    if (!inline_value) {
      if (i + 1 >= argc) return usage_error(name + " needs a value");
      value = argv[++i];
    }
    if (name == "--docs") {
      if (!parse_u64(value.c_str(), opt.docs)) return usage_error("--docs: not a non-negative integer: '" + value + "'");
      if (opt.docs > 9999999999ULL) return usage_error("--docs: at most 9999999999");
      have_docs = true;
    } else if (name == "--seed") {
      if (!parse_u64(value.c_str(), opt.seed)) return usage_error("--seed: not a non-negative integer: '" + value + "'");
    } else {
      if (value.empty()) return usage_error("--output: empty file name");
      output = value;
    }
  }
  if (!have_docs) return usage_error("--docs is required");

  // Where to write: stdout, a special file directly, or FILE.partial + rename.
  std::FILE *f = stdout;
  std::string write_path, final_path;
  if (output != "-") {
    std::error_code ec;
    auto st = std::filesystem::status(output, ec);
    bool special = !ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st);
    if (special && std::filesystem::is_directory(st)) {
      std::fprintf(stderr, "clara-generate: %s: is a directory\n", output.c_str());
      return 1;
    }
    write_path = special ? output : output + ".partial";
    if (!special) final_path = output;
    f = std::fopen(write_path.c_str(), "wb");
    if (!f) {
      std::fprintf(stderr, "clara-generate: %s: %s\n", write_path.c_str(), std::strerror(errno));
      return 1;
    }
  }

  bool failed = false;
  int err = 0;
  clara::generate_corpus(opt, [&](const char *p, std::size_t n) {
    if (failed) return;
    if (std::fwrite(p, 1, n, f) != n) {
      failed = true;
      err = errno;
    }
  });
  if (!failed && std::fflush(f) != 0) {
    failed = true;
    err = errno;
  }
  if (f != stdout && std::fclose(f) != 0 && !failed) {
    failed = true;
    err = errno;
  }
  const char *shown = write_path.empty() ? "stdout" : write_path.c_str();
  if (failed) {
    std::fprintf(stderr, "clara-generate: writing %s: %s\n", shown, std::strerror(err ? err : EIO));
    if (!final_path.empty()) std::remove(write_path.c_str());
    return 1;
  }
  if (!final_path.empty() && std::rename(write_path.c_str(), final_path.c_str()) != 0) {
    std::fprintf(stderr, "clara-generate: rename %s -> %s: %s\n", write_path.c_str(), final_path.c_str(),
                 std::strerror(errno));
    std::remove(write_path.c_str());
    return 1;
  }
  return 0;
}
