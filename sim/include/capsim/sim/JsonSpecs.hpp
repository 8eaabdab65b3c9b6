// JSON forms of catalog entries and scenario parts, with the unit in every numeric key
// (`_bytes`, `_Bps`, `_flop_per_s`, `_W`, `_usd`, `_s`). Used by result.json and `capsim catalog`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim {

nlohmann::ordered_json to_json(const GpuSpec& spec);
nlohmann::ordered_json to_json(const ServerSpec& spec);
nlohmann::ordered_json to_json(const NicSpec& spec);
nlohmann::ordered_json to_json(const SwitchSpec& spec);
nlohmann::ordered_json to_json(const OpticSpec& spec);
nlohmann::ordered_json to_json(const StorageSpec& spec);
nlohmann::ordered_json to_json(const ModelSpec& spec);
nlohmann::ordered_json to_json(const CloudPriceSpec& spec);
nlohmann::ordered_json to_json(const EconomicsSpec& spec);

/// The catalog kinds `capsim catalog` lists, in order ("gpus", "servers", ...).
const std::vector<std::string>& catalog_kinds();

/// Every entry of one kind as JSON objects, by id. Throws InputError for an unknown kind.
nlohmann::ordered_json catalog_entries(const Catalog& catalog, const std::string& kind);

}  // namespace capsim
