#!/usr/bin/env bash
# clang-format check and clang-tidy over the project's sources (needs a
# configured ./build with compile_commands.json: run scripts/build.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'fuzz/*.cc' 'bench/*.cc')
clang-format --dry-run --Werror $files
git ls-files 'src/*.cc' | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet
