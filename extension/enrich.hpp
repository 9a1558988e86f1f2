// Enrichment: fields from registered relations (clara_sources: local tables,
// views or foreign tables such as postgres_fdw's) added to each streamed
// document's metadata, under the source's name.
//
// One lookup per source per batch of documents
// (WHERE key = ANY($1), which postgres_fdw ships to the remote server), never
// one per document. Each lookup runs in a subtransaction with the source's
// timeout (a backend timer: when it fires the lookup is cancelled, and
// postgres_fdw cancels the remote query). On failure the source's policy
// decides: 'fail' ends the stream with an error naming the source, 'skip'
// emits one WARNING and leaves the source out for the rest of the stream.
#pragma once

#include "pg.hpp"

namespace clara::pg {

struct EnrichSource;

struct Enrichment {
    int nsources;
    EnrichSource *sources;
};

// The enabled sources of clara_sources, or nullptr when there are none.
// SPI must be connected; the result lives in cxt.
Enrichment *load_sources(const char *schema, MemoryContext cxt);

// Looks up the n document ids (text Datums) in every source; extra[i] is the
// jsonb object to merge into row i's metadata ({"<source>": {...}, ...}), or
// nullptr. Results are palloc'd in the current memory context. SPI must be
// connected.
void enrich_batch(Enrichment *e, const Datum *ids, int n, Jsonb **extra);

}  // namespace clara::pg
