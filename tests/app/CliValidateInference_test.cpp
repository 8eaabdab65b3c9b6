// End-to-end tests of `capsim validate inference`: the real binary on the published serving runs
// of shared/validation, its table and last line, its CSV, its accuracy and its bad-input errors.
#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>

#include "RunCapsim.hpp"

namespace capsim::test {
namespace {

const std::string kPublic = CAPSIM_SHARED_DIR "/validation/inference_public.csv";
const std::string kHeader =
    "id,source,gpu,gpus,tp,pp,model,precision,input_len,output_len,mode,"
    "measured_output_tokens_per_s\n";

class CliValidateInference : public CliTest {};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  return fields;
}

TEST_F(CliValidateInference, PrintsEveryRowAndEndsWithTheMapeLine) {
  const CliResult r = capsim({"validate", "inference", kPublic, "--out", "inference.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  for (const char* id : {"trtllm-h100-sxm-80gb-llama-3.3-70b-tp2-128-128",
                         "trtllm-h100-sxm-80gb-llama-3.1-8b-tp1-20000-2000",
                         "trtllm-h100-sxm-80gb-llama-3.1-405b-tp8-5000-500"}) {
    EXPECT_TRUE(contains(r.out, id)) << id;
  }
  const auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  static const std::regex kLast(R"(^MAPE \d+\.\d% worst \d+\.\d% \(\S+\) over 18 rows$)");
  EXPECT_TRUE(std::regex_match(lines.back(), kLast)) << lines.back();
}

// The CSV's errors are predicted / measured - 1 and its time parts add up to the elapsed time.
// Accuracy as first measured (MAPE 8.0%, worst 21.2%, all rows H100 FP8): the test asserts the
// issue's target (MAPE <= 10%) and guards the worst row against regressions.
TEST_F(CliValidateInference, MeetsTheTargetAndTheCsvAddsUp) {
  const CliResult r = capsim({"validate", "inference", kPublic, "--out", "inference.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto lines = lines_of(read_text(dir_ / "inference.csv"));
  ASSERT_EQ(lines.size(), 19u);
  const auto header = split(lines[0]);
  auto column = [&](const std::vector<std::string>& row, const std::string& name) {
    const auto at = std::find(header.begin(), header.end(), name);
    EXPECT_NE(at, header.end()) << name;
    return std::stod(row.at(static_cast<std::size_t>(at - header.begin())));
  };
  double sum = 0, worst = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto row = split(lines[i]);
    const double predicted = column(row, "predicted_output_tokens_per_s");
    const double error = predicted / column(row, "measured_output_tokens_per_s") - 1;
    EXPECT_NEAR(column(row, "error"), error, 1e-5) << row[0];
    double parts = 0;
    for (const char* part : {"gemm_s", "prefill_attention_s", "decode_attention_s",
                             "memory_bound_s", "tp_comm_s", "logits_s", "pp_comm_s"}) {
      parts += column(row, part);
    }
    EXPECT_TRUE(near_rel(parts, column(row, "elapsed_s"), 1e-5)) << row[0];
    sum += std::fabs(error);
    worst = std::max(worst, std::fabs(error));
  }
  EXPECT_LE(sum / 18, 0.10);  // issue 6's target
  EXPECT_LE(worst, 0.21);
}

// A pipeline-parallel row is predicted (docs/inference.md): tp 1 x pp 2 runs two streams, each
// with half of the KV cache, at an iteration time of the two half-models plus one send, about
// that of the single GPU's; so it delivers between 1.5 and 2.5 times the tp 1 x pp 1 row (2 x
// per stream, less the send, more with the larger cache's batches), and its CSV parts add up.
TEST_F(CliValidateInference, APipelineParallelRowIsPredicted) {
  const std::string path = write_file(
      "runs.csv", kHeader +
                      "one,s,h100-sxm-80gb,1,1,1,llama-3.1-8b,fp8,128,2048,max-throughput,1000\n"
                      "two,s,h100-sxm-80gb,2,1,2,llama-3.1-8b,fp8,128,2048,max-throughput,1000\n");
  const CliResult r = capsim({"validate", "inference", path, "--out", "pp.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto lines = lines_of(read_text(dir_ / "pp.csv"));
  ASSERT_EQ(lines.size(), 3u);
  const auto one = split(lines[1]), two = split(lines[2]);
  const double ratio = std::stod(two.at(4)) / std::stod(one.at(4));
  EXPECT_GT(ratio, 1.5) << lines[1] << "\n" << lines[2];
  EXPECT_LT(ratio, 2.5) << lines[1] << "\n" << lines[2];
  EXPECT_GT(std::stod(two.at(two.size() - 2)), 0) << "pp_comm_s";
}

TEST_F(CliValidateInference, AMissingFileExitsWithTwoAndNamesIt) {
  const CliResult r = capsim({"validate", "inference", "no-such-runs.csv"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_TRUE(contains(r.err, "no-such-runs.csv"));
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliValidateInference, BadRowsNameFileLineAndColumnAndPrintNothing) {
  struct Case {
    std::string row, where, words;
  };
  const Case cases[] = {
      {"a,s,no-such-gpu,1,1,1,llama-3.1-8b,fp8,128,128,max-throughput,1000", ":3:3", "unknown GPU"},
      {"a,s,h100-sxm-80gb,1,1,1,no-such-model,fp8,128,128,max-throughput,1000", ":3:7",
       "unknown model"},
      {"a,s,h100-sxm-80gb,1,1,1,llama-3.1-8b,fp4,128,128,max-throughput,1000", ":3:8", "fp4"},
      {"a,s,a100-sxm-80gb,1,1,1,llama-3.1-8b,fp8,128,128,max-throughput,1000", ":3:8", "FP8"},
      {"a,s,h100-sxm-80gb,64,1,64,llama-3.1-8b,fp8,128,128,max-throughput,1000", ":3:6",
       "pp 64 for 32 layers"},
      {"a,s,h100-sxm-80gb,2,1,1,llama-3.1-8b,fp8,128,128,max-throughput,1000", ":3:4", "tp x pp"},
      {"a,s,h100-sxm-80gb,1,1,1,llama-3.1-8b,fp8,128,128,latency,1000", ":3:11", "latency"},
      {"a,s,h100-sxm-80gb,1,1,1,llama-3.1-8b,fp8,12x,128,max-throughput,1000", ":3:9", "12x"},
  };
  const std::string good =
      "ok,s,h100-sxm-80gb,1,1,1,llama-3.1-8b,fp8,128,128,max-throughput,1000\n";
  for (const Case& c : cases) {
    const std::string path = write_file("runs.csv", kHeader + good + c.row + "\n");
    const CliResult r = capsim({"validate", "inference", path});
    EXPECT_EQ(r.exit_code, 2) << c.row << "\n" << r.describe();
    EXPECT_TRUE(contains(r.err, "runs.csv" + c.where)) << r.err;
    EXPECT_TRUE(contains(r.err, c.words)) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const std::string path = write_file("runs.csv", "id,gpu\nx,h100-sxm-80gb\n");
  const CliResult r = capsim({"validate", "inference", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "column is missing")) << r.err;
}

}  // namespace
}  // namespace capsim::test
