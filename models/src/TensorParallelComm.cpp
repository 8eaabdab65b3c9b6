#include "capsim/models/TensorParallelComm.hpp"

#include <algorithm>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

// Transformer Engine userbuffers, bf16 H100 configuration (see the header): SMs the
// communication kernels hold, of the H100's 132, and the splits of the pipelined GEMM + RS.
constexpr double kReferenceSms = 132;
constexpr double kPipelineSplits = 4;
constexpr double kOutRsSms = 24;   // proj_fprop
constexpr double kDownRsSms = 16;  // fc2_fprop
constexpr double kQkvAgSms = 4;    // qkv_dgrad (bulk all-gather of the input)
constexpr double kQkvRsSms = 24;   // qkv_wgrad (bulk reduce-scatter of the dgrad)
constexpr double kUpAgSms = 2;     // fc1_dgrad
constexpr double kUpRsSms = 4;     // fc1_wgrad

double excess(double comm_s, double hidden_by_s) { return std::max(0.0, comm_s - hidden_by_s); }

double sm_share(double comm_sms) { return 1.0 - comm_sms / kReferenceSms; }

struct Overlap {
  const KernelModel& kernels;
  MatmulPrecision precision;
  int tp;
  const CommLink& link;
  double gathered_bytes;  // S

  // AG + GEMM by ring exchange: a GEMM of `rows` x n x k (inner k) in tp chunks of rows.
  double ring_exchange_s(double rows, double n, double k) const {
    const double chunk_s = kernels.gemm_s(rows / tp, n, k, precision);
    const double pass_s = point_to_point_s(gathered_bytes / tp, link);
    const double total_s = chunk_s + (tp - 1) * std::max(chunk_s, pass_s);
    return excess(total_s, kernels.gemm_s(rows, n, k, precision));
  }

  // GEMM + RS pipelined in kPipelineSplits splits of rows, the RS kernels holding comm_sms.
  double pipelined_rs_s(const LinearShape& g, double comm_sms) const {
    const double split_s =
        kernels.gemm_sharing_s(g.tokens / kPipelineSplits, g.n, g.k, precision, sm_share(comm_sms));
    const double rs_s = reduce_scatter_s(gathered_bytes / kPipelineSplits, tp, link);
    const double total_s = split_s + (kPipelineSplits - 1) * std::max(split_s, rs_s) + rs_s;
    return excess(total_s, kernels.gemm_s(g.tokens, g.n, g.k, precision));
  }

  // A collective of comm_s beside a GEMM of m x n x k, its kernels holding comm_sms.
  double bulk_s(double m, double n, double k, double comm_s, double comm_sms) const {
    const double shared_s = kernels.gemm_sharing_s(m, n, k, precision, sm_share(comm_sms));
    return excess(std::max(shared_s, comm_s), kernels.gemm_s(m, n, k, precision));
  }
};

}  // namespace

TensorParallelLayerTimes tensor_parallel_layer_times(const ModelShape& model,
                                                     const TrainingLayout& layout,
                                                     const KernelModel& kernels,
                                                     const LayerKernelTimes& layer,
                                                     const CommLink& tp) {
  if (layout.tp == 1) return {};
  if (layout.overlap_tp_comm && !layout.sequence_parallel) {
    throw ConfigurationError(
        "tensor-parallel overlap needs sequence parallelism (Megatron: --tp-comm-overlap "
        "requires --sequence-parallel); turn sequence_parallel on or the overlap off");
  }
  const double tokens = layout.micro_batch * (static_cast<double>(layout.seq_len) / layout.cp);
  const double bytes = tokens * model.hidden * kActivationBytes;
  const double ag = all_gather_s(bytes, layout.tp, tp);
  const double rs = reduce_scatter_s(bytes, layout.tp, tp);
  const bool moe = model.moe_experts > 0;
  // An MoE layer's MLP block: the routed copies gathered and reduce-scattered, each way.
  const double routed = moe ? all_gather_s(model.moe_topk * bytes, layout.tp, tp) +
                                  reduce_scatter_s(model.moe_topk * bytes, layout.tp, tp)
                            : 0.0;
  const double blocks = moe ? 1.0 : 2.0;  // attention, and the dense MLP

  TensorParallelLayerTimes t;
  if (!layout.sequence_parallel) {
    t.forward_s = blocks * (ag + rs) + routed;
    t.backward_s = t.forward_s;
    return t;
  }
  if (!layout.overlap_tp_comm) {
    t.forward_s = blocks * (ag + rs) + routed;
    t.backward_s = ag + excess(ag, layer.qkv.dgrad_s) + excess(rs, layer.qkv.wgrad_s) + routed;
    if (!moe) t.backward_s += ag + excess(ag, layer.up.dgrad_s) + excess(rs, layer.up.wgrad_s);
    return t;
  }

  const LayerLinearShapes s = layer_linear_shapes(model, layout);
  const Overlap o{kernels, matmul_precision(layout), layout.tp, tp, bytes};
  // Forward: QKV (and up) by ring exchange, out (and down) pipelined with their RS.
  t.forward_s = o.ring_exchange_s(s.qkv.tokens, s.qkv.n, s.qkv.k) +
                o.pipelined_rs_s(s.out, kOutRsSms) + routed;
  // Backward: out (and down) dgrad by ring exchange on the output gradient (rows x k, inner
  // n); QKV (and up) dgrad (rows x k, inner n) beside the input AG, wgrad (k x n, inner rows)
  // beside the dgrad's RS.
  t.backward_s = o.ring_exchange_s(s.out.tokens, s.out.k, s.out.n) +
                 o.bulk_s(s.qkv.tokens, s.qkv.k, s.qkv.n, ag, kQkvAgSms) +
                 o.bulk_s(s.qkv.k, s.qkv.n, s.qkv.tokens, rs, kQkvRsSms) + routed;
  if (!moe) {
    t.forward_s +=
        o.ring_exchange_s(s.up.tokens, s.up.n, s.up.k) + o.pipelined_rs_s(s.down, kDownRsSms);
    t.backward_s += o.ring_exchange_s(s.down.tokens, s.down.k, s.down.n) +
                    o.bulk_s(s.up.tokens, s.up.k, s.up.n, ag, kUpAgSms) +
                    o.bulk_s(s.up.k, s.up.n, s.up.tokens, rs, kUpRsSms);
  }
  return t;
}

}  // namespace capsim
