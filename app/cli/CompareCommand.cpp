#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Units.hpp"

namespace capsim::cli {
namespace {

using Json = nlohmann::json;

Json read_result(const std::string& argument) {
  std::filesystem::path path(argument);
  if (std::filesystem::is_directory(path)) path /= "result.json";
  std::ifstream in(path);
  if (!in) {
    throw InputError(SourceLocation{path.string(), 0, 0}, "", "cannot open the file",
                     "a result.json written by `capsim run` (or its folder)");
  }
  try {
    Json result = Json::parse(in);
    if (!result.contains("training") || !result.contains("clusters")) {
      throw InputError(SourceLocation{path.string(), 0, 0}, "", "is not a capsim result",
                       "a result.json written by `capsim run`");
    }
    return result;
  } catch (const Json::exception& error) {
    throw InputError(SourceLocation{path.string(), 0, 0}, "",
                     std::string("invalid JSON: ") + error.what(),
                     "a result.json written by `capsim run`");
  }
}

std::string optional_money(const Json& value) {
  return value.is_null() ? "n/a" : format_quantity(value.get<double>(), Quantity::Money);
}

// The cluster a training job ran on; a result that does not list it is not a capsim result.
const Json& cluster_of(const Json& result, const std::string& name) {
  for (const auto& cluster : result.at("clusters")) {
    if (cluster.at("name") == name) return cluster;
  }
  throw std::out_of_range("no cluster named '" + name + "' in \"clusters\"");
}

// One column per (result, training workload).
std::vector<std::string> column_for(const Json& result, const Json& job) {
  const Json& cluster = cluster_of(result, job.at("cluster").get<std::string>());
  const Json& layout = job.at("layout");
  const Json& iteration = job.at("iteration");
  const Json& run = job.at("run");
  const Json& cost = job.at("cost");
  char layout_text[96];
  std::snprintf(layout_text, sizeof layout_text, "TP%d PP%d DP%d CP%d mb%d",
                layout.at("tp").get<int>(), layout.at("pp").get<int>(), layout.at("dp").get<int>(),
                layout.at("cp").get<int>(), layout.at("micro_batch").get<int>());
  return {
      result.at("scenario").at("name").get<std::string>() + "/" +
          job.at("workload").get<std::string>(),
      std::to_string(cluster.at("gpus").get<int>()) + " x " +
          cluster.at("gpu").at("id").get<std::string>(),
      layout_text,
      format_quantity(iteration.at("iteration_s").get<double>(), Quantity::Time),
      format_quantity(run.at("time_to_train_s").get<double>(), Quantity::Time),
      format_quantity(iteration.at("mfu").get<double>(), Quantity::Fraction),
      format_quantity(iteration.at("tokens_per_s").get<double>(), Quantity::Count),
      format_quantity(cluster.at("capex").at("total_usd").get<double>(), Quantity::Money),
      format_quantity(cluster.at("rates").at("facility_power_W").get<double>(), Quantity::Power),
      format_quantity(cost.at("owned_usd").get<double>(), Quantity::Money),
      optional_money(cost.at("rented_usd")),
      format_quantity(cost.at("owned_usd_per_million_tokens").get<double>(), Quantity::Money),
      optional_money(cost.at("rented_usd_per_million_tokens")),
  };
}

}  // namespace

int compare_command(const CompareArgs& args, std::ostream& out) {
  const std::vector<std::string> labels = {
      "scenario/workload",  "cluster",      "layout",        "iteration time",
      "time to train",      "MFU",          "tokens/s",      "capex",
      "facility power",     "cost (owned)", "cost (rented)", "$/M tokens (owned)",
      "$/M tokens (rented)"};
  std::vector<std::vector<std::string>> columns;
  for (const auto& argument : args.results) {
    const Json result = read_result(argument);
    try {
      for (const auto& job : result.at("training")) columns.push_back(column_for(result, job));
    } catch (const std::exception& error) {  // a missing field (.at) or one of the wrong type
      throw InputError(SourceLocation{argument, 0, 0}, "",
                       std::string("is not a complete capsim result: ") + error.what(),
                       "a result.json written by this version of `capsim run`");
    }
  }
  std::vector<std::string> header = {labels[0]};
  for (const auto& column : columns) header.push_back(column[0]);
  TextTable table(header);
  for (std::size_t row = 1; row < labels.size(); ++row) {
    std::vector<std::string> cells = {labels[row]};
    for (const auto& column : columns) cells.push_back(column[row]);
    table.add_row(cells);
  }
  if (args.format == "md") {
    table.print_markdown(out);
  } else {
    table.print(out);
  }
  return 0;
}

}  // namespace capsim::cli
