#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "capsim/models/Errors.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {

std::vector<ReportFormat> parse_report_formats(const std::string& list) {
  std::vector<ReportFormat> formats;
  std::stringstream stream(list);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item == "json") {
      formats.push_back(ReportFormat::Json);
    } else if (item == "md" || item == "markdown") {
      formats.push_back(ReportFormat::Markdown);
    } else if (item == "html") {
      formats.push_back(ReportFormat::Html);
    } else if (item == "csv") {
      formats.push_back(ReportFormat::Csv);
    } else {
      throw InputError(SourceLocation{"--format " + list, 0, 0}, "",
                       "'" + item + "' is not a report format", "a list of json, md, html, csv");
    }
  }
  if (formats.empty()) {
    throw InputError(SourceLocation{"--format", 0, 0}, "", "no format given",
                     "a list of json, md, html, csv");
  }
  return formats;
}

namespace {

namespace fs = std::filesystem;
using Writer = std::function<void(std::ostream&)>;

}  // namespace

std::vector<std::string> write_reports(const Result& result, const std::string& directory,
                                       const std::vector<ReportFormat>& formats) {
  std::vector<std::pair<std::string, Writer>> files;
  for (ReportFormat format : formats) {
    switch (format) {
      case ReportFormat::Json:
        files.emplace_back("result.json",
                           [&](std::ostream& out) { write_json_report(result, out); });
        break;
      case ReportFormat::Markdown:
        files.emplace_back("summary.md",
                           [&](std::ostream& out) { write_markdown_report(result, out); });
        break;
      case ReportFormat::Html:
        files.emplace_back("report.html",
                           [&](std::ostream& out) { write_html_report(result, out); });
        break;
      case ReportFormat::Csv:
        for (const auto& table : csv_table_names()) {
          files.emplace_back(
              table, [&, table](std::ostream& out) { write_csv_table(result, table, out); });
        }
        break;
    }
  }

  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    throw std::runtime_error("cannot create report folder " + directory + ": " + error.message());
  }
  // Render everything into temporary files first; rename only when all succeeded.
  std::vector<std::pair<fs::path, fs::path>> staged;
  auto discard = [&] {
    for (const auto& [temporary, final_path] : staged) fs::remove(temporary, error);
  };
  for (const auto& [name, writer] : files) {
    const fs::path final_path = fs::path(directory) / name;
    const fs::path temporary = fs::path(directory) / ("." + name + ".partial");
    staged.emplace_back(temporary, final_path);
    std::ofstream out(temporary, std::ios::binary);
    if (out) writer(out);
    out.close();
    if (!out) {
      discard();
      throw std::runtime_error("cannot write " + final_path.string());
    }
  }
  std::vector<std::string> written;
  for (const auto& [temporary, final_path] : staged) {
    fs::rename(temporary, final_path, error);
    if (error) {
      const std::string message = "cannot rename " + temporary.string() + " to " +
                                  final_path.string() + ": " + error.message();
      discard();
      for (const auto& path : written) fs::remove(path, error);  // no half of a new report
      throw std::runtime_error(message);
    }
    written.push_back(final_path.string());
  }
  return written;
}

}  // namespace capsim
