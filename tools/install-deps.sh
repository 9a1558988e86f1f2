#!/usr/bin/env bash
# Installs everything Clara builds, tests and runs with, from Debian's
# packages. Used by .ci/run and make demo; safe to run again.
set -euo pipefail

PACKAGES=(
    build-essential g++ make pkg-config
    postgresql-15 postgresql-server-dev-15 postgresql-contrib postgresql-common libpq-dev
    nlohmann-json3-dev libicu-dev libcli11-dev libgtest-dev libcpp-httplib-dev libstemmer-dev
    zlib1g-dev libzstd-dev libssl-dev zstd
    # SentencePiece .model tokenizers (the extension links the library); its
    # Python binding is tests/integration/tokenizers.sh's reference.
    libsentencepiece-dev python3-sentencepiece
    python3 python3-psycopg python3-pytest python3-zstandard
    curl procps
    # The ranking evaluation on real text (make eval, tests/integration/eval_real.sh):
    # the reference retriever is scikit-learn's; manual pages are rendered with groff.
    python3-sklearn groff-base
    # Fuzzing (make fuzz, tests/integration/fuzz_*.sh): clang-14 with its
    # libFuzzer and sanitizer runtimes, and sqlsmith.
    clang-14 libclang-rt-14-dev sqlsmith
    # make lint (make test runs it): clang-format and clang-tidy.
    clang-format-14 clang-tidy-14
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The reference tokenizers of tests/integration/tokenizers.sh run on node
# (npm packages, test-only): Debian's node unless one is installed already.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
