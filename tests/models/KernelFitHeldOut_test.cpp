// The GEMM model on shapes held out of its fit: fit on three quarters of a GPU's bf16 sweep,
// predict the other quarter. The issue asks for at most 10% mean |error| on the H100 and H200
// data, over every held-out shape.
//
// The sweep times each shape launched back to back, so operands smaller than L2 (50 MiB on the
// H100, 60 MiB on the H200) stay resident between launches; the isolated GEMM time reads them at
// the fitted L2 bandwidth (KernelModel.hpp). Without that term the same split gave 11.6% (H100)
// and 10.9% (H200), most of it on the small shapes, which the model read from HBM.
//
// The split is fixed by file order, not chosen by error: every fourth bf16 row is held out. The
// grid loops k innermost over 8 values, so the held-out grid rows are k = 1024 and k = 16384 of
// every m x n, shapes whose k the fit never sees, plus a quarter of the transformer rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "ShippedCatalog.hpp"
#include "capsim/models/Calibration.hpp"
#include "capsim/models/KernelModel.hpp"

namespace capsim {
namespace {

struct HeldOut {
  double mean = 0, worst = 0;
  int rows = 0;
  double large_mean = 0;  ///< over the held-out shapes with m n k >= 2^33
  int large_rows = 0;
  int l2_resident_rows = 0;  ///< held-out shapes whose operands fit in L2
};

HeldOut held_out_error(const std::string& id) {
  const std::string dir = std::string(CAPSIM_SHARED_DIR) + "/calibration/";
  const KernelMeasurements all = read_kernel_measurements(dir + id + ".cublas-sweep.csv",
                                                          dir + id + ".torch-attention-power.csv");
  KernelMeasurements fitted = all;
  fitted.cublas.gemms.clear();
  std::vector<GemmMeasurement> held;
  int bf16 = 0;
  for (const auto& g : all.cublas.gemms) {
    if (g.dtype == "bf16" && bf16++ % 4 == 3) {
      held.push_back(g);
    } else {
      fitted.cublas.gemms.push_back(g);
    }
  }
  // The fit sees only `fitted`: none of the held-out rows enters any of its stages.
  for (const auto& g : fitted.cublas.gemms) {
    for (const auto& h : held) {
      EXPECT_FALSE(g.dtype == h.dtype && g.line == h.line) << id << " line " << h.line;
    }
  }
  const KernelParameters p = fit_kernel_parameters(fitted, test::shipped_catalog().gpus.at(id));
  const KernelModel model(p);
  HeldOut result;
  for (const auto& g : held) {
    const double error =
        std::fabs(model.gemm_isolated_s(g.m, g.n, g.k, g.precision) / g.seconds - 1);
    result.mean += error;
    result.worst = std::max(result.worst, error);
    if (g.m * g.n * g.k >= std::pow(2.0, 33)) {
      result.large_mean += error;
      ++result.large_rows;
    }
    if ((g.m * g.k + g.k * g.n + g.m * g.n) * 2 <= p.l2_cache_bytes) ++result.l2_resident_rows;
  }
  result.rows = int(held.size());
  result.mean /= result.rows;
  result.large_mean /= result.large_rows;
  std::printf(
      "[ %s bf16 GEMMs held out of the fit ] all %d rows: mean |error| %.4f, worst %.4f "
      "(%d with operands in L2, fitted L2 bandwidth %.2f TB/s); %d rows with m n k >= 2^33: "
      "mean |error| %.4f\n",
      id.c_str(), result.rows, result.mean, result.worst, result.l2_resident_rows,
      p.l2_bandwidth_Bps / 1e12, result.large_rows, result.large_mean);
  return result;
}

TEST(KernelFitHeldOut, GemmMeanErrorOnHeldOutShapesIsAtMostTenPercent) {
  for (const char* id : {"h100-sxm-80gb", "h200-sxm-141gb"}) {
    const HeldOut h = held_out_error(id);
    EXPECT_EQ(h.rows, 526 / 4) << id;  // 131 of 526 bf16 rows
    EXPECT_GT(h.l2_resident_rows, 0) << id;
    EXPECT_LE(h.mean, 0.10) << id;        // the bound, over every held-out shape
    EXPECT_LE(h.large_mean, 0.10) << id;  // and over the large ones alone
  }
}

}  // namespace
}  // namespace capsim
