// clara_register_tokenizer, clara_unregister_tokenizer, clara_token_count,
// clara_tokenize, clara_chunks: the SQL side of core/model_tokenizer.hpp
// (BPE and SentencePiece tokenizers) and core/chunk.hpp.
#include "tokenizers.hpp"

#include "catalog.hpp"
#include "chunk.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace clara::pg {

namespace {

constexpr size_t kMaxTokenizerBytes = 64u << 20;  // Llama 3's tokenizer.json is 9 MB

// Parsed tokenizers of this backend, by the sha256 of their file: parsing
// Llama 3's tokenizer.json takes about 0.4 s, its tables about 15 MB, so a
// few are kept (a pooled connection of clara-stream serve parses once), the
// least recently used dropped first. Keyed by content, not name: the same
// file registered under two names is parsed once, and a name registered
// again with other content finds the new file. A caller holds its
// tokenizer through a shared_ptr in its memory context (hold()), so dropping
// one from the cache never frees it under a running export.
constexpr size_t kCachedTokenizers = 4;

struct Cached {
    char sha256[65];
    std::shared_ptr<const clara::ModelTokenizer> tokenizer;
    uint64_t last_used;
};

struct TokenizerCache {
    std::vector<Cached> entries;
    uint64_t clock = 0;
};

TokenizerCache &cache() {
    static TokenizerCache c;
    return c;
}

// The cached tokenizer of this content, or nullptr.
Cached *cached(const char *sha) {
    for (Cached &c : cache().entries)
        if (strcmp(c.sha256, sha) == 0) {
            c.last_used = ++cache().clock;
            return &c;
        }
    return nullptr;
}

// Keeps parsed (owned by the caller until now) under sha, dropping the
// least recently used entry when the cache is full.
Cached *keep(const char *sha, clara::ModelTokenizer *parsed) {
    Cached *slot = nullptr;
    clara::pg::run_cpp("caching a tokenizer", [&] {
        std::shared_ptr<const clara::ModelTokenizer> owned(parsed);
        TokenizerCache &c = cache();
        if (c.entries.size() >= kCachedTokenizers) {
            auto oldest = std::min_element(c.entries.begin(), c.entries.end(),
                                           [](const Cached &a, const Cached &b) { return a.last_used < b.last_used; });
            c.entries.erase(oldest);
        }
        c.entries.emplace_back();
        slot = &c.entries.back();
        snprintf(slot->sha256, sizeof slot->sha256, "%s", sha);
        slot->tokenizer = std::move(owned);
        slot->last_used = ++c.clock;
    });
    return slot;
}

// The tokenizer of entry, alive at least until owner is reset or deleted.
const clara::ModelTokenizer *hold(const Cached *entry, MemoryContext owner) {
    auto *holder = clara::pg::make_owned<std::shared_ptr<const clara::ModelTokenizer>>(owner);
    *holder = entry->tokenizer;  // no allocation: a reference count
    return holder->get();
}

void check_name(const char *name) {
    size_t n = strlen(name);
    bool ok = n > 0 && n <= 63 && isalnum(static_cast<unsigned char>(name[0]));
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        ok = isalnum(c) || c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid tokenizer name \"%s\"", name),
                        errhint("Use letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 "
                                "characters, for example 'llama3' or 'cl100k_base'.")));
}

// Parses a tokenizer file; on failure an ERROR naming what is wrong. The
// caller owns the result (no C++ object is alive when the ERROR is raised).
clara::ModelTokenizer *parse_or_error(const char *what, const char *data, size_t len) {
    clara::ModelTokenizer *t = nullptr;
    char message[512] = "";
    bool out_of_memory = false;
    try {
        t = clara::load_tokenizer(std::string_view(data, len)).release();
    } catch (const clara::TokenizerError &e) {
        snprintf(message, sizeof message, "%s", e.what());
    } catch (const std::bad_alloc &) {
        out_of_memory = true;
    } catch (const std::exception &e) {
        snprintf(message, sizeof message, "%s", e.what());
    }
    if (out_of_memory) ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory reading %s", what)));
    if (t == nullptr)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s cannot be used: %s", what, message),
                        errhint("Clara reads a Hugging Face tokenizer.json with a byte-level BPE (Llama 3, "
                                "Qwen 2 style), a tiktoken rank file (cl100k_base, o200k_base, Llama 3's "
                                "tokenizer.model) or a SentencePiece .model file (Llama 2, Mistral, Gemma, T5).")));
    return t;
}

char *sha256_hex(bytea *data) {
    bytea *digest = DatumGetByteaPP(DirectFunctionCall1(sha256_bytea, PointerGetDatum(data)));
    const auto *d = reinterpret_cast<const unsigned char *>(VARDATA_ANY(digest));
    char *hex = static_cast<char *>(palloc(65));
    for (size_t i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return hex;
}

bytea *read_server_file(const char *path) {
    if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("reading a tokenizer file on the server needs superuser or pg_read_server_files"),
                        errhint("Pass the file's content instead: clara_register_tokenizer(name, data bytea), "
                                "or clara-stream --tokenizer PATH, which sends it.")));
    FILE *f = AllocateFile(path, PG_BINARY_R);
    if (f == nullptr)
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not open tokenizer file \"%s\": %m", path)));
    StringInfoData buf;
    initStringInfo(&buf);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf.len + n > kMaxTokenizerBytes)
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("tokenizer file \"%s\" is larger than %zu MB", path, kMaxTokenizerBytes >> 20)));
        appendBinaryStringInfo(&buf, chunk, static_cast<int>(n));
        CHECK_FOR_INTERRUPTS();
    }
    if (ferror(f))
        ereport(ERROR, (errcode_for_file_access(), errmsg("could not read tokenizer file \"%s\": %m", path)));
    FreeFile(f);
    bytea *out = static_cast<bytea *>(palloc(VARHDRSZ + buf.len));
    SET_VARSIZE(out, VARHDRSZ + buf.len);
    memcpy(VARDATA(out), buf.data, buf.len);
    pfree(buf.data);
    return out;
}

// Stores data under name (as the extension's owner: clara_tokenizers is
// not writable by others); returns a jsonb description.
// A NULL name: the content's own, "sha256-" and 16 hex digits of its hash
// (what clara-stream --tokenizer PATH registers under). Content already
// registered under the name is not parsed again.
Datum register_tokenizer(const char *name, bytea *data, const char *origin) {
    size_t len = VARSIZE_ANY_EXHDR(data);
    if (len > kMaxTokenizerBytes)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("tokenizer file is larger than %zu MB", kMaxTokenizerBytes >> 20)));
    char *sha = sha256_hex(data);
    if (name == nullptr) name = psprintf("sha256-%.16s", sha);
    check_name(name);
    const char *caller = GetUserNameFromId(GetUserId(), false);
    const bool is_superuser = superuser();

    const char *schema = extension_schema();
    MemoryContext outer = CurrentMemoryContext;  // SPI_finish frees what SPI_getvalue allocates
    SavedUser saved = as_index_owner();
    int level = spi_connect();
    Oid types[1] = {TEXTOID};
    Datum args[1] = {CStringGetTextDatum(name)};
    char *sql = psprintf("SELECT sha256, registered_by::text FROM %s.clara_tokenizers WHERE name = $1 FOR UPDATE",
                         schema);
    if (SPI_execute_with_args(sql, 1, types, args, nullptr, false, 1) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read clara_tokenizers");
    bool exists = SPI_processed == 1;
    bool changed = true;
    const char *kind = nullptr, *pattern = nullptr;
    int32 vocabulary = 0;
    if (exists) {
        char *old_sha = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        char *owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
        changed = strcmp(old_sha, sha) != 0;
        if (changed && !is_superuser && strcmp(owner, caller) != 0)
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("tokenizer \"%s\" was registered by role %s with other content", name, owner),
                     errhint("Register yours under another name, or ask %s or a superuser to replace it.", owner)));
    }
    if (!changed) {
        char *info = psprintf("SELECT kind, pattern, vocabulary FROM %s.clara_tokenizers WHERE name = $1", schema);
        if (SPI_execute_with_args(info, 1, types, args, nullptr, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
            elog(ERROR, "clara: could not read clara_tokenizers");
        kind = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
        pattern = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
        vocabulary = atoi(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
    } else {
        clara::ModelTokenizer *parsed = parse_or_error(psprintf("tokenizer file %s", origin), VARDATA_ANY(data), len);
        kind = parsed->kind();  // static strings
        pattern = parsed->pattern();
        vocabulary = static_cast<int32>(parsed->vocabulary_size());
        // The export that usually follows (clara-stream --tokenizer FILE
        // registers, then exports on the same connection) finds it parsed.
        if (cached(sha) == nullptr)
            keep(sha, parsed);
        else
            delete parsed;
        char *upsert = psprintf(
            "INSERT INTO %s.clara_tokenizers AS t (name, kind, pattern, vocabulary, sha256, data, registered_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::name) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, pattern = excluded.pattern, "
            "vocabulary = excluded.vocabulary, sha256 = excluded.sha256, data = excluded.data, "
            "registered_by = excluded.registered_by, registered_at = pg_catalog.now()",
            schema);
        Oid types7[7] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, BYTEAOID, TEXTOID};
        Datum args7[7] = {CStringGetTextDatum(name),  CStringGetTextDatum(kind), CStringGetTextDatum(pattern),
                          Int32GetDatum(vocabulary),  CStringGetTextDatum(sha),  PointerGetDatum(data),
                          CStringGetTextDatum(caller)};
        if (SPI_execute_with_args(upsert, 7, types7, args7, nullptr, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "clara: could not write clara_tokenizers");
    }
    spi_finish(level);
    restore_user(saved);
    char *json = psprintf(
        "{\"name\": \"%s\", \"kind\": \"%s\", \"pattern\": \"%s\", \"vocabulary\": %d, \"sha256\": \"%s\", "
        "\"changed\": %s}",
        name, kind, pattern, vocabulary, sha, changed ? "true" : "false");
    return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

}  // namespace

const clara::ModelTokenizer *tokenizer_by_name(const char *name, MemoryContext owner) {
    const char *schema = extension_schema();
    SavedUser saved = as_index_owner();
    Oid types[1] = {TEXTOID};
    Datum args[1] = {CStringGetTextDatum(name)};
    char *sql = psprintf("SELECT sha256 FROM %s.clara_tokenizers WHERE name = $1", schema);
    if (SPI_execute_with_args(sql, 1, types, args, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read clara_tokenizers");
    if (SPI_processed == 0)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("tokenizer \"%s\" is not registered", name),
                        errhint("Register your model's tokenizer first: SELECT clara_register_tokenizer('%s', "
                                "'/path/to/tokenizer.json'), or clara-stream --tokenizer PATH.",
                                name)));
    char *sha = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    if (const Cached *hit = cached(sha)) {
        restore_user(saved);
        return hold(hit, owner);
    }
    char *load = psprintf("SELECT data FROM %s.clara_tokenizers WHERE name = $1", schema);
    if (SPI_execute_with_args(load, 1, types, args, nullptr, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
        elog(ERROR, "clara: could not read tokenizer \"%s\"", name);
    bool isnull;
    bytea *data = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    restore_user(saved);
    const TimestampTz start = GetCurrentTimestamp();
    clara::ModelTokenizer *parsed = parse_or_error(psprintf("registered tokenizer \"%s\"", name), VARDATA_ANY(data),
                                                   VARSIZE_ANY_EXHDR(data));
    const Cached *entry = keep(sha, parsed);
    // What a slow first export spent its time on (client_min_messages = debug1).
    elog(DEBUG1, "clara: tokenizer \"%s\" (sha256 %.16s) parsed in %ld ms; %zu of %zu kept in this backend", name, sha,
         TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()), cache().entries.size(), kCachedTokenizers);
    return hold(entry, owner);
}

void check_chunking(const char *tokenizer, int32 chunk_tokens, int32 chunk_overlap) {
    if (tokenizer == nullptr)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("chunk_tokens needs a tokenizer"),
                        errhint("Chunks are counted in your model's tokens: register its tokenizer with "
                                "clara_register_tokenizer(name, path) and pass tokenizer => name.")));
    if (chunk_tokens < static_cast<int32>(clara::kMinChunkTokens) || chunk_tokens > 1000000)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("chunk_tokens must be between %u and 1000000, not %d", clara::kMinChunkTokens, chunk_tokens),
                 errhint("Use the trainer's sequence length, for example 2048.")));
    if (chunk_overlap < 0 || chunk_overlap >= chunk_tokens / 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("chunk_overlap must be at least 0 and less than half of chunk_tokens (%d), not %d",
                               chunk_tokens / 2, chunk_overlap),
                        errhint("An overlap of 5-15 %% of chunk_tokens keeps context across chunk borders.")));
}

}  // namespace clara::pg

extern "C" {
PG_FUNCTION_INFO_V1(clara_register_tokenizer_path);
PG_FUNCTION_INFO_V1(clara_register_tokenizer_data);
PG_FUNCTION_INFO_V1(clara_unregister_tokenizer);
PG_FUNCTION_INFO_V1(clara_token_count);
PG_FUNCTION_INFO_V1(clara_tokenize);
PG_FUNCTION_INFO_V1(clara_chunks);
}

namespace {

const char *name_arg(FunctionCallInfo fcinfo, int n, const char *what) {
    if (PG_ARGISNULL(n)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
    return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

}  // namespace

extern "C" Datum clara_register_tokenizer_path(PG_FUNCTION_ARGS) {
    const char *name = name_arg(fcinfo, 0, "name");
    const char *path = name_arg(fcinfo, 1, "path");
    bytea *data = clara::pg::read_server_file(path);
    PG_RETURN_DATUM(clara::pg::register_tokenizer(name, data, psprintf("\"%s\"", path)));
}

extern "C" Datum clara_register_tokenizer_data(PG_FUNCTION_ARGS) {
    const char *name = PG_ARGISNULL(0) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(0));
    if (PG_ARGISNULL(1)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("data must not be NULL")));
    PG_RETURN_DATUM(clara::pg::register_tokenizer(name, PG_GETARG_BYTEA_PP(1), "(data)"));
}

extern "C" Datum clara_unregister_tokenizer(PG_FUNCTION_ARGS) {
    const char *name = name_arg(fcinfo, 0, "name");
    const char *caller = GetUserNameFromId(GetUserId(), false);
    const bool is_superuser = superuser();
    const char *schema = clara::pg::extension_schema();
    clara::pg::SavedUser saved = clara::pg::as_index_owner();
    int level = clara::pg::spi_connect();
    Oid types[3] = {TEXTOID, TEXTOID, BOOLOID};
    Datum args[3] = {CStringGetTextDatum(name), CStringGetTextDatum(caller), BoolGetDatum(is_superuser)};
    char *sql = psprintf("DELETE FROM %s.clara_tokenizers WHERE name = $1 AND ($3 OR registered_by::text = $2)",
                         schema);
    if (SPI_execute_with_args(sql, 3, types, args, nullptr, false, 0) != SPI_OK_DELETE)
        elog(ERROR, "clara: could not write clara_tokenizers");
    bool deleted = SPI_processed > 0;
    clara::pg::spi_finish(level);
    clara::pg::restore_user(saved);
    PG_RETURN_BOOL(deleted);
}

extern "C" Datum clara_token_count(PG_FUNCTION_ARGS) {
    text *body = PG_GETARG_TEXT_PP(0);
    const char *name = text_to_cstring(PG_GETARG_TEXT_PP(1));
    MemoryContext call = CurrentMemoryContext;  // SPI_finish frees SPI's own
    int level = clara::pg::spi_connect();
    const clara::ModelTokenizer *t = clara::pg::tokenizer_by_name(name, call);
    clara::pg::spi_finish(level);
    size_t n = 0;
    clara::pg::run_cpp("counting tokens",
                       [&] { n = t->count(std::string_view(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body))); });
    PG_RETURN_INT32(static_cast<int32>(n));
}

extern "C" Datum clara_tokenize(PG_FUNCTION_ARGS) {
    text *body = PG_GETARG_TEXT_PP(0);
    const char *name = text_to_cstring(PG_GETARG_TEXT_PP(1));
    MemoryContext call = CurrentMemoryContext;  // SPI_finish frees SPI's own
    int level = clara::pg::spi_connect();
    const clara::ModelTokenizer *t = clara::pg::tokenizer_by_name(name, call);
    clara::pg::spi_finish(level);
    auto *ids = clara::pg::make_owned<std::vector<uint32_t>>(CurrentMemoryContext);
    clara::pg::run_cpp("tokenizing",
                       [&] { t->encode(std::string_view(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body)), *ids); });
    auto *values = static_cast<Datum *>(palloc(sizeof(Datum) * Max(ids->size(), (size_t)1)));
    for (size_t i = 0; i < ids->size(); i++) values[i] = Int32GetDatum(static_cast<int32>((*ids)[i]));
    PG_RETURN_DATUM(clara::pg::int4_array(values, static_cast<int>(ids->size())));
}

extern "C" Datum clara_chunks(PG_FUNCTION_ARGS) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("set-valued function called in context that cannot accept a set")));
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    text *body = PG_GETARG_TEXT_PP(0);
    const char *name = PG_ARGISNULL(1) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(1));
    int32 chunk_tokens = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
    int32 chunk_overlap = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
    clara::pg::check_chunking(name, chunk_tokens, chunk_overlap);
    MemoryContext call = CurrentMemoryContext;  // SPI_finish frees SPI's own
    int level = clara::pg::spi_connect();
    const clara::ModelTokenizer *t = clara::pg::tokenizer_by_name(name, call);
    clara::pg::spi_finish(level);

    std::string_view text(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body));
    auto *chunks = clara::pg::make_owned<std::vector<clara::TextChunk>>(CurrentMemoryContext);
    clara::pg::run_cpp("chunking", [&] {
        *chunks = clara::chunk_text(
            text, static_cast<uint32_t>(chunk_tokens), static_cast<uint32_t>(chunk_overlap),
            [t](std::string_view s) { return t->count(s); },
            [t](std::string_view s, std::vector<uint32_t> &e) { t->token_ends(s, e); });
    });

    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("clara_chunks must return a row type")));
    MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
    desc = CreateTupleDescCopy(desc);
    Tuplestorestate *store = tuplestore_begin_heap(false, false, work_mem);
    MemoryContextSwitchTo(old);
    const int32 count = static_cast<int32>(chunks->size());
    for (int32 i = 0; i < count; i++) {
        CHECK_FOR_INTERRUPTS();
        const clara::TextChunk &c = (*chunks)[i];
        Datum values[6] = {
            Int32GetDatum(i),
            Int32GetDatum(count),
            Int32GetDatum(static_cast<int32>(c.token_count)),
            Int32GetDatum(static_cast<int32>(c.char_start)),
            Int32GetDatum(static_cast<int32>(c.char_end)),
            PointerGetDatum(cstring_to_text_with_len(text.data() + c.start, static_cast<int>(c.end - c.start)))};
        bool nulls[6] = {false, false, false, false, false, false};
        tuplestore_putvalues(store, desc, values, nulls);
    }
    rsinfo->returnMode = SFRM_Materialize;
    rsinfo->setResult = store;
    rsinfo->setDesc = desc;
    return static_cast<Datum>(0);
}
