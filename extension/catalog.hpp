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

}  // namespace clara::pg
