// What `capsim compare` shows, read from result.json files: one table of training workloads and
// one of inference services, a column per (result, workload), rows of headline figures with
// their numbers (for the differences and charts of the HTML page) and their text as the CLI
// formats it, plus each result's targets and sources.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "capsim/models/Units.hpp"

namespace capsim::cli {

/// One figure of the comparison: its label, its unit and which way is better.
struct CompareRow {
  std::string label;
  Quantity kind = Quantity::Count;
  bool text_only = false;         ///< cluster, layout: no number, no difference
  bool higher_is_better = false;  ///< MFU, throughput, goodput
  bool charted = false;           ///< gets a bar chart in the HTML page
};

struct CompareCell {
  std::string text;             ///< as printed ("1.54 s", "n/a")
  std::optional<double> value;  ///< in SI units; empty for text rows and missing figures
};

struct CompareColumn {
  std::string title;               ///< "scenario/workload"
  std::vector<CompareCell> cells;  ///< one per row of its table, same order
};

struct CompareTable {
  std::string heading;  ///< "Training workloads", "Inference services"
  std::vector<CompareRow> rows;
  std::vector<CompareColumn> columns;
};

/// One compared result's targets and where its figures come from.
struct CompareResultNotes {
  std::string scenario;
  std::string file;  ///< the argument it was read from
  bool targets_met = true;
  std::vector<std::string> targets;  ///< "deadline of finetune-8b: 49 min against 1 d, met"
  std::vector<std::string> sources;  ///< "h100-sxm-80gb: NVIDIA H100 ... datasheet"
};

struct Comparison {
  CompareTable training;
  CompareTable services;  ///< no columns when no result has a service
  std::vector<CompareResultNotes> results;

  /// True when every compared result met all its targets.
  bool targets_met() const;
};

/// Reads every argument (a result.json or a report folder holding one). Throws InputError naming
/// the file when it cannot be read, is not JSON, is not a capsim result or misses a figure.
Comparison read_comparison(const std::vector<std::string>& arguments);

/// The comparison as one self-contained HTML page with a bar chart per question
/// (CompareHtml.cpp).
void write_comparison_html(const Comparison& comparison, std::ostream& out);

}  // namespace capsim::cli
