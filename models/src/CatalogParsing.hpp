// Reading catalog entries field by field (private to models/).
//
// read_fields() applies the keys present in a YAML mapping onto an existing entry and leaves absent
// keys untouched, so the same code reads a catalog file (onto a default-constructed entry) and a
// scenario's inline override ({id: dgx-h100, price: "$300k"}, onto a copy of the catalog entry).
// The key names are therefore both the catalog data keys and the documented scenario override
// keys. read_fields() reads `name` and `source` but not `id` (the caller resolves ids) and does not
// call finish(): the caller may read more keys from the same mapping first.
//
// check_complete() then rejects an entry whose required fields are missing, zero or inconsistent.
#pragma once

#include <string>

#include "YamlReader.hpp"
#include "capsim/models/Catalog.hpp"

namespace capsim {

void read_fields(YamlMap& map, GpuSpec& into);
void read_fields(YamlMap& map, ServerSpec& into);
void read_fields(YamlMap& map, NicSpec& into);
void read_fields(YamlMap& map, SwitchSpec& into);
void read_fields(YamlMap& map, OpticSpec& into);
void read_fields(YamlMap& map, StorageSpec& into);
void read_fields(YamlMap& map, ModelSpec& into);
void read_fields(YamlMap& map, CloudPriceSpec& into);
void read_fields(YamlMap& map, EconomicsSpec& into);

/// Throws InputError at `where` when a required field is missing, zero or inconsistent.
/// `entry_path` ("gpus[2]", "clusters[0].server") prefixes the key path in the message.
void check_complete(const GpuSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const ServerSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const NicSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const SwitchSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const OpticSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const StorageSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const ModelSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const CloudPriceSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});
void check_complete(const EconomicsSpec& spec, const SourceLocation& where,
                    const std::string& entry_path = {});

}  // namespace capsim
