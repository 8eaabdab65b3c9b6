#!/usr/bin/env bash
# Installs what is missing, builds capsim with warnings as errors and runs the whole test suite.
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
capsim_install_packages
capsim_build_all -DCAPSIM_WARNINGS_AS_ERRORS=ON
cd "$capsim_build"
ctest --output-on-failure --parallel "$(nproc)" "$@"
