// The catalog shipped in models/catalog, loaded once per test process.
#pragma once

#include "capsim/models/Catalog.hpp"

namespace capsim::test {

inline const Catalog& shipped_catalog() {
  static const Catalog loaded = load_catalog(CAPSIM_SOURCE_DIR "/models/catalog");
  return loaded;
}

}  // namespace capsim::test
