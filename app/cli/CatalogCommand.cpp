#include <map>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Units.hpp"
#include "capsim/sim/JsonSpecs.hpp"

namespace capsim::cli {
namespace {

using Json = nlohmann::ordered_json;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Formats a JSON field for people, using the unit its key names.
std::string format_field(const std::string& key, const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (!value.is_number()) return value.dump();
  const double number = value.get<double>();
  if (ends_with(key, "_bytes")) return format_quantity(number, Quantity::Bytes);
  if (ends_with(key, "_Bps")) return format_quantity(number, Quantity::Bandwidth);
  if (ends_with(key, "_flop_per_s")) return format_quantity(number, Quantity::FlopRate);
  if (ends_with(key, "_W")) return format_quantity(number, Quantity::Power);
  if (ends_with(key, "_usd")) return format_quantity(number, Quantity::Money);
  if (ends_with(key, "_s")) return format_quantity(number, Quantity::Time);
  if (ends_with(key, "usd_per_gpu_hour")) return format_quantity(number, Quantity::MoneyPerHour);
  if (ends_with(key, "usd_per_kWh")) return format_quantity(number, Quantity::MoneyPerEnergy);
  if (key.find("efficiency") != std::string::npos || key.find("fraction") != std::string::npos) {
    return format_quantity(number, Quantity::Fraction);
  }
  return format_quantity(number, Quantity::Number);
}

// The columns `capsim catalog KIND` shows besides id and name.
const std::map<std::string, std::vector<std::string>>& list_columns() {
  static const std::map<std::string, std::vector<std::string>> columns = {
      {"gpus", {"bf16_flop_per_s", "memory_bytes", "memory_bandwidth_Bps", "tdp_W"}},
      {"servers", {"gpu", "gpus", "nic", "nics", "power_W", "price_usd"}},
      {"nics", {"technology", "bandwidth_Bps", "price_usd"}},
      {"switches", {"technology", "ports", "port_bandwidth_Bps", "price_usd"}},
      {"optics", {"kind", "bandwidth_Bps", "price_usd"}},
      {"storage", {"kind", "capacity_bytes", "read_Bps", "write_Bps", "price_usd"}},
      {"models",
       {"layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "mlp", "moe_experts",
        "moe_topk"}},
      {"cloud_prices", {"gpu", "provider", "terms", "usd_per_gpu_hour", "date"}},
      {"economics", {"electricity_usd_per_kWh", "pue", "server_lifetime_s"}},
  };
  return columns;
}

void list_kinds(const Catalog& catalog, std::ostream& out) {
  TextTable table({"KIND", "ENTRIES"});
  for (const auto& kind : catalog_kinds()) {
    table.add_row({kind, std::to_string(catalog_entries(catalog, kind).size())});
  }
  table.print(out);
  out << "Show one kind with `capsim catalog KIND`, one entry with `capsim catalog KIND ID`.\n";
}

void list_entries(const Json& entries, const std::string& kind, std::ostream& out) {
  const auto& columns = list_columns().at(kind);
  std::vector<std::string> header = {"ID"};
  for (const auto& column : columns) header.push_back(column);
  TextTable table(header);
  for (const auto& entry : entries) {
    std::vector<std::string> row = {entry["id"].get<std::string>()};
    for (const auto& column : columns) row.push_back(format_field(column, entry[column]));
    table.add_row(row);
  }
  table.print(out);
}

}  // namespace

int catalog_command(const CatalogArgs& args, std::ostream& out) {
  const Catalog catalog = catalog_from(args.catalog_dir);
  if (args.kind.empty()) {
    list_kinds(catalog, out);
    return 0;
  }
  const Json entries = catalog_entries(catalog, args.kind);
  if (args.id.empty()) {
    if (args.json) {
      out << entries.dump(2) << "\n";
    } else {
      list_entries(entries, args.kind, out);
    }
    return 0;
  }
  for (const auto& entry : entries) {
    if (entry["id"] != args.id) continue;
    if (args.json) {
      out << entry.dump(2) << "\n";
      return 0;
    }
    TextTable table({"FIELD", "VALUE"});
    for (const auto& [key, value] : entry.items()) table.add_row({key, format_field(key, value)});
    table.print(out);
    return 0;
  }
  std::string ids;
  for (const auto& entry : entries)
    ids += (ids.empty() ? "" : ", ") + entry["id"].get<std::string>();
  throw InputError(SourceLocation{"capsim catalog", 0, 0}, args.kind,
                   "no entry with id '" + args.id + "'", "one of: " + ids);
}

}  // namespace capsim::cli
