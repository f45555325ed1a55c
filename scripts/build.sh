#!/usr/bin/env bash
# Configure (once) and build umigame with Meson + Ninja.
#   scripts/build.sh            -> build/
#   UMIGAME_BUILD_DIR=dir scripts/build.sh   -> another build directory
# Extra arguments are passed to `meson setup` the first time only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
builddir=${UMIGAME_BUILD_DIR:-build}

if [[ ! -f ${builddir}/meson-private/coredata.dat ]]; then
  meson setup "${builddir}" --buildtype=debugoptimized "$@"
elif [[ ! -f ${builddir}/build.ninja ]]; then
  # A configure step that failed half-way: redo it with the stored options.
  meson setup --reconfigure "${builddir}"
fi
ninja -C "${builddir}"
