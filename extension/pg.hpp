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
    if (out_of_memory)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in %s", what)));
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s failed: %s", what, message)));
}

// Creates a T on the C++ heap whose lifetime ends when cxt is reset or
// deleted, on success or error alike.
template <typename T>
T *make_owned(MemoryContext cxt) {
    T *obj = new (std::nothrow) T();
    if (obj == nullptr)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    auto *cb = static_cast<MemoryContextCallback *>(
        MemoryContextAllocZero(cxt, sizeof(MemoryContextCallback)));
    cb->func = [](void *arg) { delete static_cast<T *>(arg); };
    cb->arg = obj;
    MemoryContextRegisterResetCallback(cxt, cb);
    return obj;
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

}  // namespace clara::pg
