#include "capsim/models/Catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <utility>

#include "CatalogParsing.hpp"
#include "YamlReader.hpp"

namespace capsim {

std::string default_catalog_dir() {
  if (const char* dir = std::getenv("CAPSIM_CATALOG_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
#ifdef CAPSIM_DEFAULT_CATALOG_DIR
  return CAPSIM_DEFAULT_CATALOG_DIR;
#else
  return "models/catalog";
#endif
}

namespace {

namespace fs = std::filesystem;

// A reference from one entry to another ("gpu: h100-sxm-80gb"), checked once every file is read
// so that entries may refer to ids defined in later files.
struct PendingReference {
  SourceLocation where;
  std::string key_path;
  std::string section;  // the section the id must exist in ("gpus")
  std::string id;
};

bool is_valid_id(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return id.front() != '-' && id.front() != '.';
}

class Loader {
 public:
  void read_file(const std::string& path) {
    auto origin = std::make_shared<YamlOrigin>();
    origin->file = path;
    YamlMap file(load_yaml_file(path), origin, "");
    read_section(file, "gpus", catalog_.gpus);
    read_section(file, "servers", catalog_.servers);
    read_section(file, "nics", catalog_.nics);
    read_section(file, "switches", catalog_.switches);
    read_section(file, "optics", catalog_.optics);
    read_section(file, "storage", catalog_.storage);
    read_section(file, "models", catalog_.models);
    read_section(file, "cloud_prices", catalog_.cloud_prices);
    read_section(file, "economics", catalog_.economics);
    file.finish();  // an unknown section ("gpu:") is reported with the list of known ones
    catalog_.files.push_back(path);
  }

  Catalog finish() {
    for (const auto& reference : references_) {
      const auto& ids = defined_[reference.section];
      if (ids.count(reference.id)) continue;
      std::string known;
      for (const auto& [id, where] : ids) known += (known.empty() ? "" : ", ") + id;
      throw InputError(
          reference.where, reference.key_path,
          "refers to '" + reference.id + "', which is not in the catalog's " + reference.section,
          known.empty() ? "an id defined in a '" + reference.section + ":' section"
                        : "one of: " + known);
    }
    return std::move(catalog_);
  }

 private:
  template <typename Spec>
  void read_section(YamlMap& file, const std::string& section,
                    std::map<std::string, Spec>& entries) {
    for (YamlMap& entry : file.list_of_maps(section)) {
      Spec spec;
      spec.id = read_id(entry, section);
      read_fields(entry, spec);
      entry.finish();
      check_complete(spec, entry.location(), entry.path());
      note_references(entry, spec);
      entries.emplace(spec.id, std::move(spec));
    }
  }

  std::string read_id(YamlMap& entry, const std::string& section) {
    const std::string id = entry.string("id");
    if (!is_valid_id(id)) {
      entry.fail("id", "'" + id + "' is not a valid id",
                 "lower-case letters, digits, '-', '.' and '_', such as h100-sxm-80gb");
    }
    const SourceLocation where = entry.location("id");
    auto [first, inserted] = defined_[section].emplace(id, where);
    if (!inserted) {
      entry.fail("id",
                 "duplicate " + section + " id '" + id + "', first defined at " +
                     first->second.to_string(),
                 "each id once per section");
    }
    return id;
  }

  void refer(YamlMap& entry, const std::string& key, const std::string& section,
             const std::string& id) {
    references_.push_back({entry.location(key), entry.child_path(key), section, id});
  }

  void note_references(YamlMap& entry, const ServerSpec& spec) {
    refer(entry, "gpu", "gpus", spec.gpu);
    refer(entry, "nic", "nics", spec.nic);
  }
  void note_references(YamlMap& entry, const CloudPriceSpec& spec) {
    refer(entry, "gpu", "gpus", spec.gpu);
  }
  template <typename Spec>
  void note_references(YamlMap&, const Spec&) {}

  Catalog catalog_;
  std::map<std::string, std::map<std::string, SourceLocation>> defined_;  // section -> id -> where
  std::vector<PendingReference> references_;
};

}  // namespace

Catalog load_catalog(const std::string& directory) {
  const SourceLocation where{directory, 0, 0};
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw InputError(where, "", "the catalog folder does not exist or is not a folder",
                     "a folder of *.yaml catalog files (the source tree's models/catalog, or set "
                     "CAPSIM_CATALOG_DIR)");
  }
  std::vector<std::string> files;
  for (const auto& item : fs::directory_iterator(directory, error)) {
    std::error_code type_error;  // an unreadable entry is skipped, not a failure of the folder
    if (item.path().extension() == ".yaml" && item.is_regular_file(type_error)) {
      files.push_back(item.path().string());
    }
  }
  if (error) {
    throw InputError(where, "", "the catalog folder cannot be read: " + error.message(),
                     "a readable folder of *.yaml catalog files");
  }
  if (files.empty()) {
    throw InputError(where, "", "the catalog folder has no *.yaml files",
                     "a folder of *.yaml catalog files (the source tree's models/catalog, or set "
                     "CAPSIM_CATALOG_DIR)");
  }
  // Sorted so that the order of reading, and therefore which of two duplicates is reported as
  // the first, does not depend on the file system.
  std::sort(files.begin(), files.end());
  Loader loader;
  for (const auto& file : files) loader.read_file(file);
  return loader.finish();
}

}  // namespace capsim
