#include "resume_state.hpp"

#include "exit_code.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace clara::cli {

namespace {

using nlohmann::json;

// Version of the file's layout; a state of another version is refused.
constexpr int kStateVersion = 1;

// Leaves of an object by their dotted path (arrays and scalars are leaves).
void flatten(const json &value, const std::string &path, std::map<std::string, json> &out) {
    if (value.is_object() && !value.empty()) {
        for (const auto &[key, item] : value.items()) flatten(item, path.empty() ? key : path + "." + key, out);
        return;
    }
    out[path] = value;
}

[[noreturn]] void refuse(const std::string &message) { throw Failure(ExitCode::resume_refused, message); }

}  // namespace

ResumeState read_resume_state(const std::string &partial_dir) {
    const std::string path = partial_dir + "/" + kResumeStateName;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        refuse("--resume: " + path + " is missing: the export that left " + partial_dir +
               " was killed before it began, or is not one a resume can continue (remove " + partial_dir +
               " and export again)");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A state is flat and small: a depth cap is not needed, but a parse error must not escape as one.
    json j = json::parse(text, nullptr, false);
    auto member_is = [&](const char *key, json::value_t type) { return j.contains(key) && j[key].type() == type; };
    if (!j.is_object() || !member_is("clara_resume", json::value_t::number_unsigned) ||
        j["clara_resume"] != kStateVersion || !member_is("shards", json::value_t::array) ||
        !member_is("runs", json::value_t::array))
        refuse("--resume: " + path + " is not a resume state this clara-stream writes (remove " + partial_dir +
               " and export again)");
    ResumeState state;
    state.arguments = j.value("arguments", json::object());
    state.corpus = j.value("corpus", json(nullptr));
    state.command = j.value("command", json::array());
    state.runs = j["runs"];
    try {
        for (const json &s : j["shards"]) {
            ShardRecord r;
            r.split = s.at("split").get<std::string>();
            r.name = s.at("name").get<std::string>();
            r.rows = s.at("rows").get<uint64_t>();
            r.text_bytes = s.at("text_bytes").get<uint64_t>();
            r.bytes = s.at("bytes").get<uint64_t>();
            r.sha256 = s.at("sha256").get<std::string>();
            r.text_sha256 = s.at("text_sha256").get<std::string>();
            // A name is a file in DIR.partial, never a path out of it.
            if (r.name.empty() || r.name.find('/') != std::string::npos || r.name[0] == '.')
                refuse("--resume: " + path + " names a shard \"" + r.name + "\" that is not a file name");
            state.shards.push_back(std::move(r));
        }
    } catch (const json::exception &e) {
        refuse("--resume: " + path + " has a malformed shard entry (" + e.what() + "); remove " + partial_dir +
               " and export again");
    }
    return state;
}

void write_resume_state(const std::string &partial_dir, const ResumeState &state) {
    json shards = json::array();
    for (const ShardRecord &r : state.shards)
        shards.push_back({{"split", r.split},
                          {"name", r.name},
                          {"rows", r.rows},
                          {"text_bytes", r.text_bytes},
                          {"bytes", r.bytes},
                          {"sha256", r.sha256},
                          {"text_sha256", r.text_sha256}});
    json j = {{"clara_resume", kStateVersion}, {"arguments", state.arguments}, {"corpus", state.corpus},
              {"command", state.command},      {"runs", state.runs},           {"shards", shards}};
    const std::string text = j.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
    const std::string path = partial_dir + "/" + kResumeStateName, temporary = path + ".tmp";
    auto fail = [&](const std::string &what) {
        int err = errno;
        unlink(temporary.c_str());
        throw Failure(ExitCode::io, what + ": " + std::strerror(err));
    };
    // DIR.partial is locked by this export: nobody else writes the temporary.
    int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) fail("cannot create " + temporary);
    for (size_t at = 0; at < text.size();) {
        ssize_t n = write(fd, text.data() + at, text.size() - at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(fd);
            fail("cannot write " + temporary);
        }
        at += static_cast<size_t>(n);
    }
    if (fsync(fd) != 0) {
        close(fd);
        fail("cannot fsync " + temporary);
    }
    if (close(fd) != 0) fail("cannot close " + temporary);
    if (rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename " + temporary);
    int dir = open(partial_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        fsync(dir);
        close(dir);
    }
}

std::vector<std::string> argument_differences(const json &before, const json &now) {
    std::map<std::string, json> a, b;
    flatten(before, "", a);
    flatten(now, "", b);
    for (const auto &[path, value] : b) a.try_emplace(path, json(nullptr));
    std::vector<std::string> out;
    for (const auto &[path, value] : a) {
        auto it = b.find(path);
        const json &other = it == b.end() ? json(nullptr) : it->second;
        if (value != other) out.push_back(path + ": " + value.dump() + " before, " + other.dump() + " now");
    }
    return out;
}

}  // namespace clara::cli
