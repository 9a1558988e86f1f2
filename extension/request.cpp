#include "request.hpp"

#include "guc.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

namespace clara::pg {

namespace {

constexpr int32 kDefaultTopK = 100;
constexpr double kDefaultMinQuality = 0.5;

enum class FilterKind { TextOrList, TimestampFrom, TimestampBefore, MetadataContains };

// The filter keys: one table, used for parsing, SQL and the error hint.
struct FilterKey {
    const char *key;
    FilterKind kind;
    const char *column;
};
constexpr FilterKey kFilterKeys[] = {
    {"domain", FilterKind::TextOrList, "d.domain"},
    {"document_type", FilterKind::TextOrList, "d.document_type"},
    {"source", FilterKind::TextOrList, "d.source"},
    {"created_after", FilterKind::TimestampFrom, "d.created_at"},
    {"created_before", FilterKind::TimestampBefore, "d.created_at"},
    {"metadata", FilterKind::MetadataContains, "d.metadata"},
};
constexpr const char *kFilterKeysHint =
    "Valid filter keys are domain, document_type, source (a string or an array of strings), "
    "created_after, created_before (timestamps) and metadata (an object the document's metadata must contain).";

// The search types, in clara::SearchType order.
constexpr const char *kSearchTypes[] = {"keyword", "vector", "graph"};
static_assert(sizeof kSearchTypes / sizeof kSearchTypes[0] == clara::kSearchTypeCount);

// The SearchType index of name, or -1.
int search_type(const char *name, int len) {
    for (size_t i = 0; i < clara::kSearchTypeCount; i++)
        if (static_cast<int>(strlen(kSearchTypes[i])) == len && memcmp(kSearchTypes[i], name, len) == 0)
            return static_cast<int>(i);
    return -1;
}

const FilterKey *find_filter_key(const char *name, int len) {
    for (const FilterKey &k : kFilterKeys)
        if (static_cast<int>(strlen(k.key)) == len && memcmp(k.key, name, len) == 0) return &k;
    return nullptr;
}

[[noreturn]] void bad_filter(const char *key, const char *expected) {
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("filter \"%s\" must be %s", key, expected),
                    errhint("%s", kFilterKeysHint)));
    pg_unreachable();
}

int add_param(SearchRequest *req, Oid type, Datum value) {
    if (req->nfilter_params >= kMaxFilterParams)
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("too many filters"), errhint("%s", kFilterKeysHint)));
    req->filter_types[req->nfilter_params] = type;
    req->filter_values[req->nfilter_params] = value;
    return kFirstFilterParam + req->nfilter_params++;
}

// A string or an array of strings, as text or text[].
void add_text_filter(SearchRequest *req, const FilterKey &key, JsonbValue *v) {
    if (v->type == jbvString) {
        int n = add_param(req, TEXTOID,
                          PointerGetDatum(cstring_to_text_with_len(v->val.string.val, v->val.string.len)));
        appendStringInfo(&req->filter_sql, " AND %s = $%d", key.column, n);
        return;
    }
    if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
        bad_filter(key.key, "a string or an array of strings");
    JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
    JsonbValue elem;
    JsonbIteratorToken tok;
    int count = JsonContainerSize(v->val.binary.data);
    if (count == 0) bad_filter(key.key, "a string or a non-empty array of strings");
    auto *items = static_cast<Datum *>(palloc(sizeof(Datum) * count));
    int n = 0;
    while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE) {
        if (tok != WJB_ELEM) continue;
        if (elem.type != jbvString) bad_filter(key.key, "a string or an array of strings");
        items[n++] = PointerGetDatum(cstring_to_text_with_len(elem.val.string.val, elem.val.string.len));
    }
    int p = add_param(req, TEXTARRAYOID, PointerGetDatum(construct_array(items, n, TEXTOID, -1, false, TYPALIGN_INT)));
    appendStringInfo(&req->filter_sql, " AND %s = ANY($%d)", key.column, p);
}

void add_timestamp_filter(SearchRequest *req, const FilterKey &key, JsonbValue *v) {
    if (v->type != jbvString) bad_filter(key.key, "a timestamp string such as \"2024-01-31\"");
    char *s = pnstrdup(v->val.string.val, v->val.string.len);
    Datum ts = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
    int n = add_param(req, TIMESTAMPTZOID, ts);
    appendStringInfo(&req->filter_sql, " AND %s %s $%d", key.column, key.kind == FilterKind::TimestampFrom ? ">=" : "<",
                     n);
}

void add_metadata_filter(SearchRequest *req, const FilterKey &key, JsonbValue *v) {
    if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data)) bad_filter(key.key, "a JSON object");
    int n = add_param(req, JSONBOID, PointerGetDatum(JsonbValueToJsonb(v)));
    appendStringInfo(&req->filter_sql, " AND %s @> $%d", key.column, n);
}

void parse_filters(SearchRequest *req, Jsonb *filters) {
    if (!JB_ROOT_IS_OBJECT(filters))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("filters must be a JSON object"),
                        errhint("%s", kFilterKeysHint)));
    JsonbIterator *it = JsonbIteratorInit(&filters->root);
    JsonbValue v;
    JsonbIteratorToken tok;
    const FilterKey *key = nullptr;
    while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
        if (tok == WJB_KEY) {
            key = find_filter_key(v.val.string.val, v.val.string.len);
            if (key == nullptr)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("unknown filter key \"%.*s\"", v.val.string.len, v.val.string.val),
                                errhint("%s", kFilterKeysHint)));
        } else if (tok == WJB_VALUE) {
            switch (key->kind) {
                case FilterKind::TextOrList: add_text_filter(req, *key, &v); break;
                case FilterKind::TimestampFrom:
                case FilterKind::TimestampBefore: add_timestamp_filter(req, *key, &v); break;
                case FilterKind::MetadataContains: add_metadata_filter(req, *key, &v); break;
            }
        }
    }
}

void parse_search_types(SearchRequest *req, ArrayType *types) {
    Datum *elems;
    bool *nulls;
    int n;
    if (ARR_NDIM(types) > 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("search_types must be a one-dimensional array, not %d-dimensional", ARR_NDIM(types)),
                        errhint("Use for example '{keyword,vector}'.")));
    deconstruct_array(types, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
    if (n == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("search_types must not be empty"),
                        errhint("Use for example '{keyword,vector}', or NULL for keyword, vector and graph.")));
    for (bool &s : req->search) s = false;
    for (int i = 0; i < n; i++) {
        if (nulls[i])
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("search_types must not contain NULL")));
        char *name = TextDatumGetCString(elems[i]);
        int type = search_type(name, strlen(name));
        if (type < 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown search type \"%s\"", name),
                            errhint("Valid search types are keyword, vector and graph.")));
        req->search[type] = true;
    }
}

void parse_weights(SearchRequest *req, Jsonb *weights) {
    if (!JB_ROOT_IS_OBJECT(weights))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("weights must be a JSON object"),
                        errhint("For example '{\"keyword\": 1.0, \"vector\": 0.5}'.")));
    JsonbIterator *it = JsonbIteratorInit(&weights->root);
    JsonbValue v;
    JsonbIteratorToken tok;
    char *key = nullptr;
    int type = -1;
    while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
        if (tok == WJB_KEY) {
            key = pnstrdup(v.val.string.val, v.val.string.len);
            type = search_type(key, strlen(key));
            if (type < 0)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown weight key \"%s\"", key),
                                errhint("Weights are given per search type: keyword, vector, graph.")));
        } else if (tok == WJB_VALUE) {
            // A number beyond double's range becomes infinity (rejected
            // below), not an error quoting all its digits.
            double w = v.type == jbvNumeric ? DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
                                                                                 NumericGetDatum(v.val.numeric)))
                                            : -1.0;
            if (v.type != jbvNumeric || !clara::valid_fusion_weight(w))
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("weight \"%s\" must be a number from 0 to %.0f", key, clara::kMaxFusionWeight),
                                errhint("Only the ratios between weights matter, for example '{\"keyword\": 1.0, "
                                        "\"vector\": 1.5}'.")));
            req->weights.of(static_cast<clara::SearchType>(type)) = w;
        }
    }
}

// At least one searched type must count: all-zero weights would rank nothing.
void check_weights(const SearchRequest *req) {
    for (size_t t = 0; t < clara::kSearchTypeCount; t++)
        if (req->search[t] && req->weights.of(static_cast<clara::SearchType>(t)) > 0.0) return;
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("weights must not all be 0 for the requested search types"),
                    errhint("Give at least one of the search types in search_types a positive weight.")));
}

// Functions with fewer arguments (clara_bm25) leave the rest at their defaults.
bool arg_is_null(FunctionCallInfo fcinfo, int n) { return n >= PG_NARGS() || PG_ARGISNULL(n); }

}  // namespace

static_assert(std::is_trivially_destructible_v<SearchRequest>, "SearchRequest lives in palloc memory");

SearchRequest *parse_search_request(FunctionCallInfo fcinfo, bool has_batch_size) {
    auto *req = new (palloc0(sizeof(SearchRequest))) SearchRequest();  // trivially destructible
    initStringInfo(&req->filter_sql);

    if (arg_is_null(fcinfo, 0))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("query must not be NULL"),
                        errhint("Pass the search text, for example 'Baurecht Dachanlage'.")));
    text *query = PG_GETARG_TEXT_PP(0);
    req->query = VARDATA_ANY(query);
    req->query_len = VARSIZE_ANY_EXHDR(query);
    if (req->query_len > kMaxQueryBytes)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("query is %d bytes long, more than the limit of %d", req->query_len, kMaxQueryBytes),
                        errhint("A query is a few words or a passage: search with its most telling part.")));
    bool blank = true;
    for (int i = 0; i < req->query_len && blank; i++) blank = isspace(static_cast<unsigned char>(req->query[i]));
    if (blank)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("query must not be empty"),
                        errhint("Pass the search text, for example 'Baurecht Dachanlage'.")));

    req->top_k = arg_is_null(fcinfo, 1) ? kDefaultTopK : PG_GETARG_INT32(1);
    if (req->top_k <= 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("top_k must be positive, not %d", req->top_k),
                        errhint("top_k is the maximum number of documents to return.")));

    req->min_quality = arg_is_null(fcinfo, 2) ? kDefaultMinQuality : PG_GETARG_FLOAT8(2);
    if (!(req->min_quality >= 0.0 && req->min_quality <= 1.0))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("min_quality must be between 0 and 1, not %s", shortest_double(req->min_quality)),
                        errhint("Quality scores lie in 0..1; 0 keeps every document.")));

    if (!arg_is_null(fcinfo, 3)) parse_filters(req, PG_GETARG_JSONB_P(3));
    for (bool &s : req->search) s = true;
    req->weights = kDefaultWeights;
    if (!arg_is_null(fcinfo, 4)) parse_search_types(req, PG_GETARG_ARRAYTYPE_P(4));
    if (!arg_is_null(fcinfo, 5)) parse_weights(req, PG_GETARG_JSONB_P(5));
    check_weights(req);

    req->batch_size = streaming_batch_size();
    if (has_batch_size && !arg_is_null(fcinfo, 6)) {
        req->batch_size = PG_GETARG_INT32(6);
        if (req->batch_size < kMinBatchSize || req->batch_size > kMaxBatchSize)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("batch_size must be between %d and %d, not %d", kMinBatchSize, kMaxBatchSize,
                                   req->batch_size),
                            errhint("NULL uses clara.streaming_batch_size.")));
    }
    return req;
}

}  // namespace clara::pg
