// PostgreSQL headers for the glue, plus the C++/PostgreSQL boundary rules.
//
// Two rules keep C++ and PostgreSQL's longjmp-based errors apart:
//  1. No C++ exception crosses a PostgreSQL frame: C++ work runs inside
//     run_cpp(), which catches and reports with ereport() only after the C++
//     frames are gone.
//  2. No ereport() longjmps over a live C++ object with a destructor: glue
//     frames that call PostgreSQL hold only trivially destructible locals;
//     C++ containers live in heap objects owned by a memory context (see
//     make_owned), which PostgreSQL frees on error as well as on success.
#pragma once

#include <string_view>

extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
}

#include <cfloat>
#include <charconv>
#include <cstdio>
#include <exception>
#include <new>
#include <utility>

namespace clara::pg {

// Runs f (C++ only, no PostgreSQL calls that may ereport) and turns any
// exception into ereport(ERROR) once f's frames have unwound.
template <typename F>
void run_cpp(const char *what, F &&f) {
    char message[256];
    bool failed = false;
    bool out_of_memory = false;
    try {
        f();
    } catch (const std::bad_alloc &) {
        failed = out_of_memory = true;
    } catch (const std::exception &e) {
        failed = true;
        snprintf(message, sizeof message, "%s", e.what());
    } catch (...) {
        failed = true;
        snprintf(message, sizeof message, "unknown C++ exception");
    }
    if (!failed) return;
    if (out_of_memory) ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in %s", what)));
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s failed: %s", what, message)));
}

// Creates a T on the C++ heap whose lifetime ends when cxt is reset or
// deleted, on success or error alike.
template <typename T>
T *make_owned(MemoryContext cxt) {
    T *obj = new (std::nothrow) T();
    if (obj == nullptr) ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    auto *cb = static_cast<MemoryContextCallback *>(MemoryContextAllocZero(cxt, sizeof(MemoryContextCallback)));
    cb->func = [](void *arg) { delete static_cast<T *>(arg); };
    cb->arg = obj;
    MemoryContextRegisterResetCallback(cxt, cb);
    return obj;
}

// The shortest text that reads back as v (1.0000001, not %g's "1"), for
// error messages; palloc'd.
inline char *shortest_double(double v) {
    if (v != v) return pstrdup("NaN");
    if (v > DBL_MAX || v < -DBL_MAX) return pstrdup(v > 0 ? "Infinity" : "-Infinity");
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf - 1, v);
    *res.ptr = '\0';
    return pstrdup(buf);
}

// SQL arrays from C values, for query parameters and results.
inline Datum int4_array(Datum *values, int n) {
    return PointerGetDatum(construct_array(values, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}
inline Datum text_array(char **items, int n) {
    auto *datums = static_cast<Datum *>(palloc(sizeof(Datum) * Max(n, 1)));
    for (int i = 0; i < n; i++) datums[i] = CStringGetTextDatum(items[i]);
    return PointerGetDatum(construct_array(datums, n, TEXTOID, -1, false, TYPALIGN_INT));
}

// A one-dimensional array of a varlena type with int alignment (bytea,
// text) built in place from n byte strings (view(i) is a std::string_view):
// one allocation and one copy of each string, where construct_array() would
// take a palloc per element and copy each once more.
template <typename View>
Datum varlena_array(Oid elemtype, int n, View view) {
    size_t data = 0;
    for (int i = 0; i < n; i++) data += INTALIGN(VARHDRSZ + view(i).size());
    const size_t header = ARR_OVERHEAD_NONULLS(1);
    if (!AllocSizeIsValid(header + data))
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("clara: %zu bytes of postings in one array", data),
                 errhint("Lower clara.index_flush_postings.")));
    auto *a = static_cast<ArrayType *>(palloc(header + data));
    memset(a, 0, header);
    SET_VARSIZE(a, header + data);
    a->ndim = 1;
    a->dataoffset = 0;
    a->elemtype = elemtype;
    ARR_DIMS(a)[0] = n;
    ARR_LBOUND(a)[0] = 1;
    char *p = ARR_DATA_PTR(a);
    for (int i = 0; i < n; i++) {
        const std::string_view v = view(i);
        const size_t len = VARHDRSZ + v.size();
        SET_VARSIZE(p, len);
        memcpy(VARDATA(p), v.data(), v.size());
        memset(p + len, 0, INTALIGN(len) - len);
        p += INTALIGN(len);
    }
    return PointerGetDatum(a);
}

}  // namespace clara::pg
