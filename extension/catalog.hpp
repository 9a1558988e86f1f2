// Where the extension's objects live: every SQL text the glue runs names its
// tables schema-qualified, so a caller's search_path cannot redirect them.
#pragma once

#include "pg.hpp"

namespace clara::pg {

// The quoted schema of the clara extension, e.g. "public"; palloc'd in the
// current memory context.
const char *extension_schema();

}  // namespace clara::pg
