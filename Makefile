# Clara: PostgreSQL extension (PGXS), core unit tests, client, test harness.
#
#   make            build the extension (and the client once it exists)
#   make install    install the extension into the server's directories
#   make test       build, install, run every test against a throwaway cluster
#   make demo       (client issue) fresh machine -> sample corpus -> export

PG_CONFIG ?= pg_config

MODULE_big = clara
# Install the control file and scripts from extension/ into share/extension
# (PGXS's EXTENSION variable would look for them in the top directory).
MODULEDIR  = extension
DATA       = extension/clara.control $(wildcard extension/clara--*.sql)

CORE_SRCS = $(wildcard extension/core/*.cpp)
GLUE_SRCS = $(wildcard extension/*.cpp)
OBJS      = $(GLUE_SRCS:.cpp=.o) $(CORE_SRCS:.cpp=.o)

# schema loads the shared fixture corpus the later files read.
REGRESS      = schema quality bm25 stream jsonl filters errors guc security
REGRESS_OPTS = --inputdir=. --outputdir=build/regress --load-extension=clara

# Our code is held to -Wall -Wextra -Werror; PostgreSQL's headers are included
# as system headers (-isystem wins over PGXS's -I) so the strictness stops there.
PG_INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)
PG_CPPFLAGS = -isystem $(PG_INCLUDEDIR_SERVER) -Iextension/core
PG_CXXFLAGS = -std=c++17 -O2 -Wall -Wextra -Werror
# PGXS links with the C compiler: pull in the C++ runtime explicitly.
SHLIB_LINK  = -lstdc++
# Debian's PGXS would also compile every file to LLVM bitcode with clang-14,
# without our flags; JIT inlining of this module buys nothing, so skip it.
override with_llvm = no

EXTRA_CLEAN = build

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on the core headers (no generated dependency files).
$(OBJS): $(wildcard extension/core/*.hpp) $(wildcard extension/*.hpp)

# ---------------------------------------------------------------------------
# Pure C++ core: GoogleTest, no PostgreSQL. CORE_SANITIZE=1 builds with ASan+UBSan.
CORE_TEST_CXXFLAGS = -std=c++17 -O2 -g -Wall -Wextra -Werror -Iextension/core -Iclient
ifeq ($(CORE_SANITIZE),1)
CORE_TEST_CXXFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
endif
CORE_TEST_SRCS = $(wildcard tests/core/*.cpp) $(CORE_SRCS) $(wildcard client/core/*.cpp)

build/core_tests: $(CORE_TEST_SRCS) $(wildcard extension/core/*.hpp) $(wildcard client/core/*.hpp)
	@mkdir -p build
	$(CXX) $(CORE_TEST_CXXFLAGS) -o $@ $(CORE_TEST_SRCS) -lgtest -lgtest_main -pthread

.PHONY: core-tests core-tests-asan test
core-tests: build/core_tests
	./build/core_tests

core-tests-asan:
	rm -f build/core_tests
	$(MAKE) CORE_SANITIZE=1 build/core_tests
	./build/core_tests
	rm -f build/core_tests

test:
	bash tests/run_all.sh
