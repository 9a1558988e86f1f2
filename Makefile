# Clara: PostgreSQL extension (PGXS), core unit tests, client, test harness.
#
#   make            build the extension (as pgvector's make: the extension only)
#   make install    install the extension into the server's directories
#   make client     build the client, build/clara-stream (make install-client)
#   make test       build everything, install, run every test against a throwaway cluster
#   make demo       fresh machine -> sample corpus -> export
#   make lint       clang-format and clang-tidy over our C++ (make format applies clang-format)
#
# WERROR=1 adds -Werror to -Wall -Wextra (extension, client, core tests):
# make test and CI build with it so our code stays warning-free; a packager's
# newer compiler with new warnings still builds without it.

PG_CONFIG ?= pg_config

MODULE_big = clara
# Install the control file and scripts from extension/ into share/extension
# (PGXS's EXTENSION variable would look for them in the top directory):
# extension/clara.sql, the current version in one file, as
# clara--<default_version>.sql; the update scripts clara--A--B.sql; and
# 0.1.0's install script (extension/history/), from which older versions
# are made (tests/integration/upgrade.sh).
MODULEDIR  = extension
DATA       = extension/clara.control extension/history/clara--0.1.0.sql $(wildcard extension/clara--*--*.sql)
DATA_built = build/clara--$(CLARA_VERSION).sql

CORE_SRCS = $(wildcard extension/core/*.cpp)
# The sample-corpus generator (clara-stream generate, core tests): a fixtures
# library, its word tables in tools/generator/corpus_words.inc.
GENERATOR_SRCS = $(wildcard tools/generator/*.cpp)
GLUE_SRCS = $(wildcard extension/*.cpp)
OBJS      = $(GLUE_SRCS:.cpp=.o) $(CORE_SRCS:.cpp=.o)

# Every sql/*.sql is a test (one topic each); each starts from the fixture
# corpus (sql/fixture/corpus.sql, not a test) and so passes alone:
# make installcheck REGRESS=bm25.
REGRESS      = $(sort $(notdir $(basename $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --outputdir=build/regress --load-extension=clara

# Our code is held to -Wall -Wextra (and -Werror with WERROR=1); PostgreSQL's
# headers are included as system headers (-isystem wins over PGXS's -I) so the
# strictness stops there.
WARNINGS = -Wall -Wextra
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
PG_INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)
# The library checks that the installed SQL objects are the version it was
# built for: clara.control's default_version.
CLARA_VERSION := $(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" extension/clara.control)
PG_CPPFLAGS = -isystem $(PG_INCLUDEDIR_SERVER) -Iextension/core -DCLARA_EXTENSION_VERSION='"$(CLARA_VERSION)"'
PG_CXXFLAGS = -std=c++17 -O2 $(WARNINGS)
# PGXS links with the C compiler: pull in the C++ runtime explicitly.
# libstemmer: Snowball's German stemmer (Debian's libstemmer-dev).
# libsentencepiece: SentencePiece .model tokenizers (Debian's libsentencepiece-dev).
SHLIB_LINK  = -lstdc++ -licuuc -lstemmer -lsentencepiece
# Debian's PGXS would also compile every file to LLVM bitcode with clang-14,
# without our flags; JIT inlining of this module buys nothing, so skip it.
override with_llvm = no

EXTRA_CLEAN = build

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The version check is compiled in from the control file.
extension/catalog.o: extension/clara.control

build/clara--$(CLARA_VERSION).sql: extension/clara.sql extension/clara.control
	@mkdir -p build
	cp $< $@

# Every object depends on the core headers (no generated dependency files).
$(OBJS): $(wildcard extension/core/*.hpp) $(wildcard extension/*.hpp)

# ---------------------------------------------------------------------------
# Pure C++ core: GoogleTest, no PostgreSQL. CORE_SANITIZE=1 builds with ASan+UBSan.
# Objects are built one by one (with -MMD header dependencies) into
# build/test/ for build/core_tests, or build/test-asan/ for the sanitizer
# build build/core_tests_asan, so a change recompiles only what it touches.
CORE_TEST_CXXFLAGS = -std=c++17 -O2 -g $(WARNINGS) -Iextension/core -Iclient -Itools -MMD -MP
CORE_TEST_DIR = build/test
CORE_TEST_BIN = build/core_tests
ifeq ($(CORE_SANITIZE),1)
CORE_TEST_CXXFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
CORE_TEST_DIR = build/test-asan
CORE_TEST_BIN = build/core_tests_asan
endif
CORE_TEST_SRCS = $(wildcard tests/core/*.cpp) $(CORE_SRCS) $(wildcard client/core/*.cpp) $(GENERATOR_SRCS)
CORE_TEST_OBJS = $(patsubst %.cpp,$(CORE_TEST_DIR)/%.o,$(CORE_TEST_SRCS))

$(CORE_TEST_DIR)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CORE_TEST_CXXFLAGS) -c -o $@ $<

-include $(CORE_TEST_OBJS:.o=.d)

$(CORE_TEST_BIN): $(CORE_TEST_OBJS)
	$(CXX) $(CORE_TEST_CXXFLAGS) -o $@ $(CORE_TEST_OBJS) -lgtest -lgtest_main -licuuc -lstemmer \
	    -lsentencepiece -lsentencepiece_train -pthread

.PHONY: core-tests core-tests-asan test
core-tests: build/core_tests
	./build/core_tests

# Any sanitizer report fails the run (UBSan would otherwise only print).
core-tests-asan:
	$(MAKE) CORE_SANITIZE=1 build/core_tests_asan
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./build/core_tests_asan

test:
	bash tests/run_all.sh

# ---------------------------------------------------------------------------
# Client: build/clara-stream (libpq, CLI11, nlohmann/json). Objects and their
# header dependencies (-MMD) go to build/client/. libpq's headers are system
# headers, like the server's above.
PG_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir)
PG_LIBDIR     := $(shell $(PG_CONFIG) --libdir)
CLIENT_CXXFLAGS = -std=c++17 -O2 $(WARNINGS) -pthread -Iclient -Iextension/core -Itools -isystem $(PG_INCLUDEDIR) -MMD -MP
# extension/core/jsonl.cpp: the one JSON string encoder (the corpus generator uses it).
# Compressed exports (zlib, libzstd) and their SHA-256 (OpenSSL's libcrypto).
CLIENT_LIBS = -lz -lzstd -lcrypto
CLIENT_SRCS = $(wildcard client/*.cpp) $(wildcard client/core/*.cpp) $(GENERATOR_SRCS) extension/core/jsonl.cpp
CLIENT_OBJS = $(patsubst %.cpp,build/%.o,$(CLIENT_SRCS))
PREFIX ?= /usr/local

build/clara-stream: $(CLIENT_OBJS)
	$(CXX) -o $@ $(CLIENT_OBJS) -L$(PG_LIBDIR) -lpq $(HTTPLIB_LIBS) $(CLIENT_LIBS) -pthread

build/client/%.o: client/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CLIENT_CXXFLAGS) -c -o $@ $<

build/extension/core/%.o: extension/core/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CLIENT_CXXFLAGS) -c -o $@ $<

build/tools/generator/%.o: tools/generator/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CLIENT_CXXFLAGS) -c -o $@ $<

-include $(CLIENT_OBJS:.o=.d)

# One version number: clara-stream --version (and a dataset manifest's
# "version") is clara.control's default_version.
build/client/main.o: CLIENT_CXXFLAGS += -DCLARA_VERSION='"$(CLARA_VERSION)"'
build/client/main.o: extension/clara.control

# clara-stream serve: Debian's cpp-httplib is a compiled library, and the
# header must see the same feature macros it was built with (pkg-config).
HTTPLIB_CFLAGS := $(shell pkg-config --cflags cpp-httplib)
HTTPLIB_LIBS   := $(shell pkg-config --libs cpp-httplib)
CLIENT_CXXFLAGS += $(HTTPLIB_CFLAGS)

.PHONY: client install-client
client: build/clara-stream

install-client: build/clara-stream
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 build/clara-stream $(DESTDIR)$(PREFIX)/bin/clara-stream

# ---------------------------------------------------------------------------
# The demo: a fresh machine to data/training.jsonl (see tools/demo.sh).
.PHONY: demo demo-stop
demo:
	bash tools/demo.sh

demo-stop:
	bash tools/demo.sh stop

# ---------------------------------------------------------------------------
# Benchmarks (bench/run.sh): make bench is the full run on the benchmark's own
# persistent cluster (corpora of 10K/100K/1M loaded once, results in
# bench/results/); make bench-smoke is the quick check CI runs (make test runs
# it too, as tests/integration/bench_smoke.sh), here in a throwaway cluster.
build/rss_exec: bench/rss_exec.c
	@mkdir -p build
	$(CC) -O2 $(WARNINGS) -o $@ $<

# Tokens/s of a tokenizer file on the generated corpus, without PostgreSQL
# (bench/tokenizer_speed.cpp; the core objects of build/core_tests).
TOKENIZER_SPEED_OBJS = $(patsubst %.cpp,$(CORE_TEST_DIR)/%.o,bench/tokenizer_speed.cpp $(CORE_SRCS) $(GENERATOR_SRCS))
-include $(CORE_TEST_DIR)/bench/tokenizer_speed.d
build/tokenizer_speed: $(TOKENIZER_SPEED_OBJS)
	$(CXX) $(CORE_TEST_CXXFLAGS) -o $@ $^ -licuuc -lstemmer -lsentencepiece

# What deriving a document's columns costs per stage, without PostgreSQL
# (bench/derive_speed.cpp): build/derive_speed corpus.jsonl [runs].
DERIVE_SPEED_OBJS = $(patsubst %.cpp,$(CORE_TEST_DIR)/%.o,bench/derive_speed.cpp $(CORE_SRCS))
-include $(CORE_TEST_DIR)/bench/derive_speed.d
build/derive_speed: $(DERIVE_SPEED_OBJS)
	$(CXX) $(CORE_TEST_CXXFLAGS) -o $@ $^ -licuuc -lstemmer -lsentencepiece

.PHONY: bench bench-smoke bench-stop
bench: all client build/rss_exec build/derive_speed
	bash bench/run.sh --cluster

bench-smoke: all client build/rss_exec build/derive_speed
	env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD \
	    pg_virtualenv -t -v 15 -- bash bench/run.sh --smoke

bench-stop:
	bash bench/cluster.sh stop

# Ranking quality (bench/eval.py: nDCG@10, recall@100 per search configuration
# on judged queries over a generated corpus) in a throwaway cluster; results in
# bench/results/eval.{json,md}. More options: make eval EVAL_ARGS="--corpus-docs 20000".
.PHONY: eval
eval: all client
	bash bench/eval.sh $(EVAL_ARGS)

# Fuzzing (docs/security.md). The parsers under libFuzzer, built with
# clang-14 (Debian's libclang-rt-14-dev has the runtime) and ASan + UBSan,
# into build/fuzz/<target>; seed inputs in tests/fuzz/corpus/<target>/:
#   load_document  one line of load input (client/core/load_document)
#   request        the HTTP API's body and parameters, the CLI's flag values (client/core)
#   http_server    raw bytes from a client through serve's request handling (cpp-httplib + ours)
#   text           the extension's tokenizer, BPE, normalizers, chunks, templates, JSON encoder (extension/core)
# Objects are built one by one with header dependencies into build/fuzz/obj/.
FUZZ_CXX ?= clang++-14
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CXXFLAGS = -std=c++17 -g -O1 $(WARNINGS) $(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link \
                -Iclient -Iextension/core -Itools -isystem $(PG_INCLUDEDIR) $(HTTPLIB_CFLAGS) -MMD -MP
FUZZ_TARGETS = load_document request http_server text
FUZZ_BINS = $(addprefix build/fuzz/,$(FUZZ_TARGETS))
fuzz_objs = $(patsubst %.cpp,build/fuzz/obj/%.o,$(1))

FUZZ_LOAD_DOCUMENT_SRCS = tests/fuzz/load_document_fuzz.cpp client/core/load_document.cpp
FUZZ_REQUEST_SRCS = tests/fuzz/request_fuzz.cpp client/core/http_request.cpp client/core/arguments.cpp
FUZZ_HTTP_SERVER_SRCS = tests/fuzz/http_server_fuzz.cpp $(filter-out client/main.cpp,$(CLIENT_SRCS))
FUZZ_TEXT_SRCS = tests/fuzz/text_fuzz.cpp $(CORE_SRCS)
FUZZ_ALL_OBJS = $(call fuzz_objs,$(sort $(FUZZ_LOAD_DOCUMENT_SRCS) $(FUZZ_REQUEST_SRCS) \
                                        $(FUZZ_HTTP_SERVER_SRCS) $(FUZZ_TEXT_SRCS)))

build/fuzz/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c -o $@ $<

-include $(FUZZ_ALL_OBJS:.o=.d)

build/fuzz/load_document: $(call fuzz_objs,$(FUZZ_LOAD_DOCUMENT_SRCS))
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $^
build/fuzz/request: $(call fuzz_objs,$(FUZZ_REQUEST_SRCS))
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $^
build/fuzz/http_server: $(call fuzz_objs,$(FUZZ_HTTP_SERVER_SRCS))
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $^ -L$(PG_LIBDIR) -lpq $(HTTPLIB_LIBS) $(CLIENT_LIBS) -pthread
build/fuzz/text: $(call fuzz_objs,$(FUZZ_TEXT_SRCS))
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $^ -licuuc -lstemmer -lsentencepiece

.PHONY: fuzz fuzz-build fuzz-parsers fuzz-sqlsmith fuzz-sql
fuzz-build: $(FUZZ_BINS)

# make fuzz: the parser fuzzers, sqlsmith and the SQL-surface fuzzer
# (tests/fuzz/sql_fuzz.py), FUZZ_SECONDS (default 600) each kind: the parser
# time is split between the four targets. The database fuzzers run in a
# throwaway cluster against the installed extension (make install first
# when it changed). make test runs all three briefly. A seed reproduces a
# SQL-fuzz run: make fuzz FUZZ_SEED=123. Crash inputs are kept in
# build/fuzz/crashes/.
FUZZ_SECONDS ?= 600
FUZZ_PG = env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD pg_virtualenv -t -v 15 --
fuzz: fuzz-parsers fuzz-sqlsmith fuzz-sql

fuzz-parsers: fuzz-build
	CLARA_FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/integration/fuzz_parsers.sh

# The database fuzzers test the current build: install it first.
fuzz-sqlsmith: all client
	$(MAKE) -s install
	$(FUZZ_PG) env CLARA_FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/integration/fuzz_sqlsmith.sh

fuzz-sql: all client
	$(MAKE) -s install
	$(FUZZ_PG) env CLARA_FUZZ_SECONDS=$(FUZZ_SECONDS) CLARA_FUZZ_SEED=$(FUZZ_SEED) bash tests/integration/fuzz_sql.sh

# ---------------------------------------------------------------------------
# Lint (make test runs it): clang-format (style: .clang-format) and
# clang-tidy (checks: .clang-tidy) over our C++; make format rewrites the
# files in clang-format's style. clang-tidy sees each file with the flags it
# is built with, other people's headers (PostgreSQL, libstdc++, CLI11, ...)
# as system headers, so only our code is checked; build/tidy/*.ok records a
# clean file (re-checked when it, a header of ours or .clang-tidy changes).
CLANG_FORMAT ?= clang-format-14
CLANG_TIDY ?= clang-tidy-14
LINT_SRCS = $(wildcard extension/*.cpp extension/core/*.cpp client/*.cpp client/core/*.cpp \
                       tests/core/*.cpp tests/fuzz/*.cpp tools/*.cpp tools/*/*.cpp bench/*.cpp)
LINT_HDRS = $(wildcard extension/*.hpp extension/core/*.hpp client/*.hpp client/core/*.hpp \
                       tests/core/*.hpp tools/*/*.hpp)
# clang-tidy skips the GoogleTest files: their macros cost ~10 s of CPU per
# file (~170 s of CPU in all), and the tests run under ASan and UBSan anyway.
TIDY_STAMPS = $(patsubst %.cpp,build/tidy/%.ok,$(filter-out tests/core/%,$(LINT_SRCS)))
# The extension's glue sees the server's headers; everything else the client's.
TIDY_GLUE_FLAGS = -isystem $(PG_INCLUDEDIR_SERVER) -Iextension/core -DCLARA_EXTENSION_VERSION='"$(CLARA_VERSION)"'
TIDY_OTHER_FLAGS = -Iclient -Iextension/core -Itools -isystem $(PG_INCLUDEDIR) $(HTTPLIB_CFLAGS) -DCLARA_VERSION='"$(CLARA_VERSION)"'
tidy_flags = -std=c++17 $(if $(filter extension/%,$(filter-out extension/core/%,$(1))),$(TIDY_GLUE_FLAGS),$(TIDY_OTHER_FLAGS))

# (Without clang's "N warnings generated.": those are the system headers'.)
build/tidy/%.ok: %.cpp .clang-tidy $(LINT_HDRS)
	@mkdir -p $(dir $@)
	@echo "clang-tidy $<"
	@$(CLANG_TIDY) --quiet $< -- $(call tidy_flags,$<) >$@.log 2>&1; status=$$?; \
	    grep -v 'warnings* generated\.$$' $@.log; rm -f $@.log; \
	    [ $$status -eq 0 ] && touch $@

.PHONY: lint lint-format lint-tidy format
lint: lint-format lint-tidy

lint-format:
	$(CLANG_FORMAT) --dry-run -Werror $(LINT_SRCS) $(LINT_HDRS)

lint-tidy: $(TIDY_STAMPS)

format:
	$(CLANG_FORMAT) -i $(LINT_SRCS) $(LINT_HDRS)
