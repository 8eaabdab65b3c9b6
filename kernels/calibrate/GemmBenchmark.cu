// GemmRunner: cuBLAS and cuBLASLt launches of one data type over prepared random operands.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>

#include "GemmBenchmark.hpp"
#include "RandomFill.cuh"
#include "Statistics.hpp"

namespace capsim::calibrate {
namespace {

void check_cublas(cublasStatus_t status, const std::string& what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(what + ": cuBLAS status " + std::to_string(int(status)));
  }
}

double element_bytes(const std::string& dtype) {
  if (dtype == "tf32") return 4;
  if (dtype == "fp8") return 1;
  return 2;
}

// cuBLASLt wants a workspace for its fastest fp8 kernels; 32 MiB is what it recommends on Hopper.
constexpr size_t kLtWorkspaceBytes = 32u << 20;

}  // namespace

bool fp8_supported(int major, int minor) { return major * 10 + minor >= 89; }

struct GemmRunner::State {
  std::string dtype;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t lt = nullptr;
  void* a = nullptr;
  void* b = nullptr;
  void* c = nullptr;
  void* workspace = nullptr;
  float* unit_scale = nullptr;  // fp8 per-tensor scales of A and B: 1.0 on the device
};

double GemmRunner::bytes_needed(const std::string& dtype, const std::vector<GemmShape>& shapes) {
  double a = 0, b = 0, c = 0;
  for (const auto& s : shapes) {
    a = std::max(a, double(s.m) * s.k * s.batch);
    b = std::max(b, double(s.k) * s.n * s.batch);
    c = std::max(c, double(s.m) * s.n * s.batch);
  }
  const double out_bytes = dtype == "fp8" ? 2 : element_bytes(dtype);  // fp8 writes bf16
  return (a + b) * element_bytes(dtype) + c * out_bytes;
}

GemmRunner::GemmRunner(const std::string& dtype, const std::vector<GemmShape>& shapes)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.dtype = dtype;
  size_t a = 1, b = 1, c = 1;
  for (const auto& shape : shapes) {
    a = std::max(a, size_t(shape.m * shape.k * shape.batch));
    b = std::max(b, size_t(shape.k * shape.n * shape.batch));
    c = std::max(c, size_t(shape.m * shape.n * shape.batch));
  }
  const size_t in_bytes = size_t(element_bytes(dtype));
  const size_t out_bytes = dtype == "fp8" ? 2 : in_bytes;
  check_cuda_status(cudaMalloc(&s.a, a * in_bytes), "cudaMalloc A (" + dtype + ")");
  check_cuda_status(cudaMalloc(&s.b, b * in_bytes), "cudaMalloc B (" + dtype + ")");
  check_cuda_status(cudaMalloc(&s.c, c * out_bytes), "cudaMalloc C (" + dtype + ")");
  if (dtype == "bf16" || dtype == "fp8") {
    fill_random(static_cast<__nv_bfloat16*>(s.c), c, 3);
  } else if (dtype == "fp16") {
    fill_random(static_cast<__half*>(s.c), c, 3);
  } else {
    fill_random(static_cast<float*>(s.c), c, 3);
  }
  if (dtype == "bf16") {
    fill_random(static_cast<__nv_bfloat16*>(s.a), a, 1);
    fill_random(static_cast<__nv_bfloat16*>(s.b), b, 2);
  } else if (dtype == "fp16") {
    fill_random(static_cast<__half*>(s.a), a, 1);
    fill_random(static_cast<__half*>(s.b), b, 2);
  } else if (dtype == "tf32") {
    fill_random(static_cast<float*>(s.a), a, 1);
    fill_random(static_cast<float*>(s.b), b, 2);
  } else if (dtype == "fp8") {
    fill_random(static_cast<__nv_fp8_e4m3*>(s.a), a, 1);
    fill_random(static_cast<__nv_fp8_e4m3*>(s.b), b, 2);
    const float one = 1.0f;
    check_cuda_status(cudaMalloc(&s.unit_scale, sizeof(float)), "cudaMalloc scale");
    check_cuda_status(cudaMemcpy(s.unit_scale, &one, sizeof one, cudaMemcpyHostToDevice),
                      "cudaMemcpy scale");
    check_cuda_status(cudaMalloc(&s.workspace, kLtWorkspaceBytes), "cudaMalloc workspace");
    check_cublas(cublasLtCreate(&s.lt), "cublasLtCreate");
  } else {
    throw std::runtime_error("unknown GEMM data type '" + dtype + "'");
  }
  check_cuda_status(cudaDeviceSynchronize(), "filling the " + dtype + " operands");
  check_cublas(cublasCreate(&s.blas), "cublasCreate");
}

GemmRunner::~GemmRunner() {
  State& s = *state_;
  if (s.blas) cublasDestroy(s.blas);
  if (s.lt) cublasLtDestroy(s.lt);
  for (void* p : {s.a, s.b, s.c, s.workspace, static_cast<void*>(s.unit_scale)}) {
    if (p) cudaFree(p);
  }
}

namespace {

// An fp8 cuBLASLt matmul, TN layout, e4m3 inputs with unit scales, bf16 output; the descriptors
// live as long as the plan, outside the timed launches.
class LtFp8Plan {
 public:
  LtFp8Plan(cublasLtHandle_t lt, const GemmShape& shape, float* unit_scale) {
    check_cublas(cublasLtMatmulDescCreate(&desc_, CUBLAS_COMPUTE_32F, CUDA_R_32F),
                 "cublasLtMatmulDescCreate");
    const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
    set(CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof transa);
    set(CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof transb);
    set(CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &unit_scale, sizeof unit_scale);
    set(CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &unit_scale, sizeof unit_scale);
    check_cublas(cublasLtMatrixLayoutCreate(&a_, CUDA_R_8F_E4M3, shape.k, shape.m, shape.k),
                 "cublasLtMatrixLayoutCreate A");
    check_cublas(cublasLtMatrixLayoutCreate(&b_, CUDA_R_8F_E4M3, shape.k, shape.n, shape.k),
                 "cublasLtMatrixLayoutCreate B");
    check_cublas(cublasLtMatrixLayoutCreate(&c_, CUDA_R_16BF, shape.m, shape.n, shape.m),
                 "cublasLtMatrixLayoutCreate C");
    cublasLtMatmulPreference_t preference = nullptr;
    check_cublas(cublasLtMatmulPreferenceCreate(&preference), "cublasLtMatmulPreferenceCreate");
    const size_t workspace = kLtWorkspaceBytes;
    cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                         &workspace, sizeof workspace);
    int found = 0;
    const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
        lt, desc_, a_, b_, c_, c_, preference, 1, &heuristic_, &found);
    cublasLtMatmulPreferenceDestroy(preference);
    check_cublas(status, "cublasLtMatmulAlgoGetHeuristic");
    if (found < 1) throw std::runtime_error("cuBLASLt has no fp8 kernel for this shape");
  }
  ~LtFp8Plan() {
    if (a_) cublasLtMatrixLayoutDestroy(a_);
    if (b_) cublasLtMatrixLayoutDestroy(b_);
    if (c_) cublasLtMatrixLayoutDestroy(c_);
    if (desc_) cublasLtMatmulDescDestroy(desc_);
  }
  LtFp8Plan(const LtFp8Plan&) = delete;
  LtFp8Plan& operator=(const LtFp8Plan&) = delete;

  void launch(cublasLtHandle_t lt, const void* a, const void* b, void* c, void* workspace) const {
    const float alpha = 1.0f, beta = 0.0f;
    check_cublas(cublasLtMatmul(lt, desc_, &alpha, a, a_, b, b_, &beta, c, c_, c, c_,
                                &heuristic_.algo, workspace, kLtWorkspaceBytes, nullptr),
                 "cublasLtMatmul");
  }

 private:
  void set(cublasLtMatmulDescAttributes_t attribute, const void* value, size_t bytes) {
    check_cublas(cublasLtMatmulDescSetAttribute(desc_, attribute, value, bytes),
                 "cublasLtMatmulDescSetAttribute");
  }
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, c_ = nullptr;
  cublasLtMatmulHeuristicResult_t heuristic_{};
};

}  // namespace

GemmResult GemmRunner::time(const GemmShape& shape, const TimingPlan& plan, double& busy_s) {
  State& s = *state_;
  GemmResult result;
  result.dtype = s.dtype;
  result.layout = shape.transpose_a || s.dtype == "fp8" ? "TN" : "NN";
  result.m = shape.m, result.n = shape.n, result.k = shape.k, result.batch = shape.batch;
  const std::string what = s.dtype + " GEMM " + std::to_string(shape.m) + "x" +
                           std::to_string(shape.n) + "x" + std::to_string(shape.k);
  Timed timed;
  if (s.dtype == "fp8") {
    const LtFp8Plan lt_plan(s.lt, shape, s.unit_scale);
    timed = time_launches([&] { lt_plan.launch(s.lt, s.a, s.b, s.c, s.workspace); }, plan, what);
  } else {
    const cudaDataType_t type = s.dtype == "bf16"   ? CUDA_R_16BF
                                : s.dtype == "fp16" ? CUDA_R_16F
                                                    : CUDA_R_32F;
    const cublasComputeType_t compute =
        s.dtype == "tf32" ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    const cublasOperation_t transa = shape.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int m = int(shape.m), n = int(shape.n), k = int(shape.k);
    const int lda = shape.transpose_a ? k : m;
    const float alpha = 1.0f, beta = 0.0f;
    auto launch = [&] {
      if (shape.batch == 1) {
        check_cublas(cublasGemmEx(s.blas, transa, CUBLAS_OP_N, m, n, k, &alpha, s.a, type, lda, s.b,
                                  type, k, &beta, s.c, type, m, compute, CUBLAS_GEMM_DEFAULT),
                     what);
      } else {
        check_cublas(cublasGemmStridedBatchedEx(
                         s.blas, transa, CUBLAS_OP_N, m, n, k, &alpha, s.a, type, lda,
                         shape.m * shape.k, s.b, type, k, shape.k * shape.n, &beta, s.c, type, m,
                         shape.m * shape.n, int(shape.batch), compute, CUBLAS_GEMM_DEFAULT),
                     what);
      }
    };
    timed = time_launches(launch, plan, what);
  }
  busy_s = timed.busy_s;
  result.seconds = median(timed.per_launch_s);
  result.samples = int(timed.per_launch_s.size());
  result.launches_per_sample = timed.launches_per_sample;
  return result;
}

}  // namespace capsim::calibrate
