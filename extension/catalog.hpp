// Where the extension's objects live: every SQL text the glue runs names its
// tables schema-qualified, so a caller's search_path cannot redirect them.
#pragma once

#include "pg.hpp"

namespace clara::pg {

// The version of the SQL objects this library works with: clara.control's
// default_version, passed in by the Makefile. extension_schema() refuses any
// other.
#ifndef CLARA_EXTENSION_VERSION
#error "build with the Makefile: it defines CLARA_EXTENSION_VERSION from extension/clara.control"
#endif
constexpr const char *kExtensionVersion = CLARA_EXTENSION_VERSION;

// The quoted schema of the clara extension, e.g. "public"; palloc'd in the
// current memory context. An error if the installed version is not
// kExtensionVersion.
const char *extension_schema();

// The index tables (clara_postings, clara_terms, clara_corpus,
// clara_gram_postings) belong to the extension's owner and nobody else may
// read or write them: their rows describe every document, including those a
// caller's privileges or row-level security hide, and a forged row would
// change everyone's ranking. The glue reads and writes them as that owner,
// the way PostgreSQL's foreign-key checks run as the table owner: between
// as_index_owner() and restore_user() only queries on those tables (and the
// default clara_edges) run, never one on clara_documents, which is read as
// the caller. An error in between needs no restore: aborting the
// (sub)transaction resets the user.
struct SavedUser {
    Oid user;
    int sec_context;
};
SavedUser as_index_owner();
void restore_user(SavedUser saved);

// clara_documents (an error if it is missing).
Oid corpus_relid();

// ERROR (42501) unless the current user owns clara_documents: for
// maintenance that reads every document, whatever the policies (what names
// the operation).
void check_corpus_owner(const char *what);

// SPI for clara's own statements: connected, with search_path set to
// "pg_catalog, pg_temp" until spi_finish(). Every table they name is
// schema-qualified; this keeps a function or operator some user created
// (say public.unnest(integer[]), a better match than the built-in one) from
// running in their place, whatever the caller's search_path. Returns the
// GUC nest level to hand to spi_finish(); an error unwinds both.
int spi_connect();
void spi_finish(int guc_nest_level);

}  // namespace clara::pg
