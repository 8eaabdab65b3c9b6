#include "Comparison.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "capsim/models/Errors.hpp"

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

// The cluster a workload ran on; a result that does not list it is not a capsim result.
const Json& cluster_of(const Json& result, const std::string& name) {
  for (const auto& cluster : result.at("clusters")) {
    if (cluster.at("name") == name) return cluster;
  }
  throw std::out_of_range("no cluster named '" + name + "' in \"clusters\"");
}

CompareCell text_cell(std::string text) { return {std::move(text), std::nullopt}; }

// A figure as the CLI prints it; null (a rate the catalog lacks, a service not simulated) is
// "n/a" with no value.
CompareCell figure(const Json& value, Quantity kind) {
  if (value.is_null()) return {"n/a", std::nullopt};
  const double number = value.get<double>();
  // Counts (replicas, tokens per second) read as whole numbers: "1750", not "1750.01".
  return {format_quantity(kind == Quantity::Count ? std::round(number) : number, kind), number};
}

std::string gpus_text(const Json& cluster, int gpus) {
  return std::to_string(gpus) + " x " + cluster.at("gpu").at("id").get<std::string>();
}

const std::vector<CompareRow>& training_rows() {
  static const std::vector<CompareRow> rows{{"cluster", Quantity::Count, true},
                                            {"layout", Quantity::Count, true},
                                            {"iteration time", Quantity::Time},
                                            {"time to train", Quantity::Time, false, false, true},
                                            {"MFU", Quantity::Fraction, false, true, true},
                                            {"tokens/s", Quantity::Count, false, true},
                                            {"capex", Quantity::Money, false, false, true},
                                            {"facility power", Quantity::Power, false, false, true},
                                            {"cost (owned)", Quantity::Money, false, false, true},
                                            {"cost (rented)", Quantity::Money, false, false, true},
                                            {"$/M tokens (owned)", Quantity::Money},
                                            {"$/M tokens (rented)", Quantity::Money}};
  return rows;
}

CompareColumn training_column(const Json& result, const Json& job) {
  const Json& cluster = cluster_of(result, job.at("cluster").get<std::string>());
  const Json& layout = job.at("layout");
  const Json& iteration = job.at("iteration");
  const Json& cost = job.at("cost");
  char layout_text[96];
  std::snprintf(layout_text, sizeof layout_text, "TP%d PP%d DP%d CP%d mb%d",
                layout.at("tp").get<int>(), layout.at("pp").get<int>(), layout.at("dp").get<int>(),
                layout.at("cp").get<int>(), layout.at("micro_batch").get<int>());
  return {result.at("scenario").at("name").get<std::string>() + "/" +
              job.at("workload").get<std::string>(),
          {text_cell(gpus_text(cluster, cluster.at("gpus").get<int>())), text_cell(layout_text),
           figure(iteration.at("iteration_s"), Quantity::Time),
           figure(job.at("run").at("time_to_train_s"), Quantity::Time),
           figure(iteration.at("mfu"), Quantity::Fraction),
           figure(iteration.at("tokens_per_s"), Quantity::Count),
           figure(cluster.at("capex").at("total_usd"), Quantity::Money),
           figure(cluster.at("rates").at("facility_power_W"), Quantity::Power),
           figure(cost.at("owned_usd"), Quantity::Money),
           figure(cost.at("rented_usd"), Quantity::Money),
           figure(cost.at("owned_usd_per_million_tokens"), Quantity::Money),
           figure(cost.at("rented_usd_per_million_tokens"), Quantity::Money)}};
}

const std::vector<CompareRow>& service_rows() {
  static const std::vector<CompareRow> rows{
      {"cluster", Quantity::Count, true},
      {"replica", Quantity::Count, true},
      {"peak replicas", Quantity::Count},
      {"TTFT p99", Quantity::Time, false, false, true},
      {"TPOT p99", Quantity::Time},
      {"end to end p99", Quantity::Time},
      {"goodput", Quantity::Fraction, false, true, true},
      {"output tokens/s", Quantity::Count, false, true},
      {"cost per hour (owned)", Quantity::Money, false, false, true},
      {"cost per hour (rented)", Quantity::Money, false, false, true},
      {"$/M output tokens (owned)", Quantity::Money, false, false, true},
      {"$/M output tokens (rented)", Quantity::Money}};
  return rows;
}

CompareColumn service_column(const Json& result, const Json& service) {
  const Json& cluster = cluster_of(result, service.at("cluster").get<std::string>());
  std::string replica = "TP" + std::to_string(service.at("tp").get<int>()) + " PP" +
                        std::to_string(service.at("pp").get<int>());
  const Json split = service.value("disaggregation", Json());
  if (split.is_object()) {  // prefill and decode pools
    auto pool = [&](const char* name) {
      const Json& p = split.at(name);
      return std::string(name) + " TP" + std::to_string(p.at("tp").get<int>()) + " x" +
             std::to_string(p.at("replicas").get<int>());
    };
    replica = pool("prefill") + ", " + pool("decode");
  }
  replica += ", " + service.at("precision").get<std::string>() + ", " +
             service.at("model").get<std::string>();
  const Json& sim = service.at("simulation");
  const bool simulated = sim.is_object() && sim.value("simulated", false);
  const Json none;
  auto simulated_figure = [&](const Json& value, Quantity kind) {
    return figure(simulated ? value : none, kind);
  };
  auto p99 = [&](const char* latency) {
    return simulated_figure(simulated ? sim.at(latency).at("p99_s") : none, Quantity::Time);
  };
  auto field = [&](const char* key) { return simulated ? sim.at(key) : none; };
  return {result.at("scenario").at("name").get<std::string>() + "/" +
              service.at("name").get<std::string>(),
          {text_cell(gpus_text(cluster, service.at("gpus").get<int>())), text_cell(replica),
           simulated_figure(field("peak_replicas"), Quantity::Count), p99("ttft"), p99("tpot"),
           p99("e2e"), simulated_figure(field("goodput_fraction"), Quantity::Fraction),
           simulated_figure(field("output_tokens_per_s"), Quantity::Count),
           simulated_figure(field("owned_usd_per_hour"), Quantity::Money),
           simulated_figure(field("rented_usd_per_hour"), Quantity::Money),
           simulated_figure(field("owned_usd_per_million_output_tokens"), Quantity::Money),
           simulated_figure(field("rented_usd_per_million_output_tokens"), Quantity::Money)}};
}

std::string target_line(const Json& target) {
  const std::string name = target.at("name").get<std::string>();
  const double limit = target.at("limit").get<double>();
  const double value = target.at("value").get<double>();
  const Quantity kind = name == "budget"    ? Quantity::Money
                        : name == "goodput" ? Quantity::Fraction
                                            : Quantity::Time;
  return name + " of " + target.at("workload").get<std::string>() + ": " +
         format_quantity(value, kind) + " against " + format_quantity(limit, kind) + ", " +
         (target.at("met").get<bool>() ? "met" : "MISSED");
}

CompareResultNotes notes_of(const Json& result, const std::string& argument) {
  CompareResultNotes notes;
  notes.scenario = result.at("scenario").at("name").get<std::string>();
  notes.file = argument;
  notes.targets_met = result.value("targets_met", true);
  for (const auto& target : result.value("targets", Json::array()))
    notes.targets.push_back(target_line(target));
  auto source = [&](const Json& entry) {
    if (entry.is_object() && entry.contains("id") && entry.contains("source"))
      notes.sources.push_back(entry.at("id").get<std::string>() + ": " +
                              entry.at("source").get<std::string>());
  };
  for (const auto& cluster : result.at("clusters")) {
    source(cluster.value("server", Json()));
    source(cluster.value("gpu", Json()));
    source(cluster.value("nic", Json()));
  }
  for (const auto& job : result.at("training")) source(job.value("model", Json()));
  if (result.contains("economics")) {
    source(result.at("economics").value("tco", Json()));
    source(result.at("economics").value("rental", Json()));
  }
  return notes;
}

// The folder a result was read from, to tell apart results of the same scenario: "run2" for
// "run2/result.json" and for "run2/".
std::string folder_name(const std::string& argument) {
  std::filesystem::path path(argument);
  if (!std::filesystem::is_directory(path)) path = path.parent_path();
  path = std::filesystem::absolute(path).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();
  return path.filename().string();
}

// Adds the folder to titles that more than one column of `table` has.
void disambiguate(CompareTable& table, const std::vector<std::string>& folders) {
  std::map<std::string, int> uses;
  for (const auto& column : table.columns) ++uses[column.title];
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (uses[table.columns[c].title] > 1) table.columns[c].title += " (" + folders[c] + ")";
  }
}

}  // namespace

bool Comparison::targets_met() const {
  for (const auto& result : results) {
    if (!result.targets_met) return false;
  }
  return true;
}

Comparison read_comparison(const std::vector<std::string>& arguments) {
  Comparison comparison;
  comparison.training = {"Training workloads", training_rows(), {}};
  comparison.services = {"Inference services", service_rows(), {}};
  std::vector<std::string> training_folders, service_folders;
  for (const auto& argument : arguments) {
    const Json result = read_result(argument);
    try {
      for (const auto& job : result.at("training")) {
        comparison.training.columns.push_back(training_column(result, job));
        training_folders.push_back(folder_name(argument));
      }
      for (const auto& service : result.value("services", Json::array())) {
        comparison.services.columns.push_back(service_column(result, service));
        service_folders.push_back(folder_name(argument));
      }
      comparison.results.push_back(notes_of(result, argument));
    } catch (const std::exception& error) {  // a missing field (.at) or one of the wrong type
      throw InputError(SourceLocation{argument, 0, 0}, "",
                       std::string("is not a complete capsim result: ") + error.what(),
                       "a result.json written by this version of `capsim run`");
    }
  }
  disambiguate(comparison.training, training_folders);
  disambiguate(comparison.services, service_folders);
  return comparison;
}

}  // namespace capsim::cli
