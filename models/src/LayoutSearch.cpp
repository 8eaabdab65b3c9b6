#include "capsim/models/LayoutSearch.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

std::vector<int> divisors(int n) {
  std::vector<int> low, high;
  for (int d = 1; static_cast<long>(d) * d <= n; ++d) {
    if (n % d != 0) continue;
    low.push_back(d);
    if (d != n / d) high.push_back(n / d);
  }
  low.insert(low.end(), high.rbegin(), high.rend());
  return low;
}

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool is_power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

std::string join(const std::vector<int>& values) {
  std::string text;
  for (const int v : values) {
    if (!text.empty()) text += ", ";
    text += std::to_string(v);
  }
  return text;
}

// What every layout's estimate shares: the job on its cluster and plan_training's building
// blocks for them (TrainingPlan.hpp).
struct Context {
  const TrainingWorkload* job = nullptr;
  const ClusterPlan* cluster_plan = nullptr;
  ModelShape model;
  GpuPerformance gpu;
  TrainingLayout settings;  ///< scenario_layout(job): precision, overlap, batch, seq_len
  int gpus = 0;
  bool rented = false;  ///< cost_usd is the rented cost (else owned)
  CommPathCache* links = nullptr;
};

// `settings` with the given sizes and choices.
TrainingLayout sized(TrainingLayout l, int tp, int pp, int vpp, int cp, int dp, int ep,
                     int micro_batch, int zero_stage, Recompute recompute) {
  l.tp = tp;
  l.pp = pp;
  l.vpp = vpp;
  l.cp = cp;
  l.dp = dp;
  l.ep = ep;
  l.micro_batch = micro_batch;
  l.zero_stage = zero_stage;
  l.recompute = recompute;
  return l;
}

enum class Outcome { Invalid, DoesNotFit, Fits };

struct Evaluation {
  Outcome outcome = Outcome::Invalid;
  RankedLayout figures;
  MemoryBreakdown memory;  ///< DoesNotFit and Fits
  std::string error;       ///< Invalid
};

// Memory first: most layouts of a large model do not fit, and the memory estimate is a fraction
// of the full one. Only ConfigurationError means "invalid"; anything else is a bug and escapes.
Evaluation evaluate(const Context& ctx, const TrainingLayout& layout) {
  Evaluation result;
  try {
    result.memory = estimate_memory(ctx.model, layout, ctx.gpu, ctx.gpus);
    if (!result.memory.fits) {
      result.outcome = Outcome::DoesNotFit;
      return result;
    }
    TrainingEstimate e =
        estimate_training(ctx.model, layout, ctx.gpu, ctx.links->paths(layout), ctx.gpus);
    apply_data_loading(*ctx.job, *ctx.cluster_plan, e);
    const RunFigures run =
        run_figures(*ctx.job, *ctx.cluster_plan, e.parameters.total, e.iteration_s);
    RankedLayout& r = result.figures;
    r.layout = layout;
    r.iteration_s = e.iteration_s;
    r.tokens_per_s = e.tokens_per_s;
    r.mfu = e.mfu;
    r.hfu = e.hfu;
    r.memory_bytes = e.memory.total_bytes;
    r.time_to_train_s = run.time_to_train_s;
    r.cost_usd = ctx.rented ? run.cost.rented_usd.value_or(0.0) : run.cost.owned_usd;
    result.outcome = Outcome::Fits;
  } catch (const ConfigurationError& error) {
    result.outcome = Outcome::Invalid;
    result.error = error.what();
  }
  return result;
}

auto layout_key(const TrainingLayout& l) {
  return std::make_tuple(l.tp, l.pp, l.vpp, l.dp, l.cp, l.ep, l.micro_batch, l.zero_stage,
                         static_cast<int>(l.recompute));
}

// On one cluster the cost objective orders exactly as the time objective in this version: every
// layout uses all of the cluster's GPUs, the hourly cost (owned or rented) does not depend on
// the layout (servers are costed at an average draw, not by utilisation), and the run's time,
// steps x iteration + floor(compute / interval) x checkpoint write, strictly increases with the
// iteration time. Cost falls back to time where rounding makes two costs equal, so the orders
// agree exactly. They would differ once cost depends on the layout: power drawn by utilisation,
// or layouts that leave part of the cluster idle.
bool better(const RankedLayout& a, const RankedLayout& b, SearchObjective objective) {
  if (objective == SearchObjective::Cost && a.cost_usd != b.cost_usd)
    return a.cost_usd < b.cost_usd;
  if (a.iteration_s != b.iteration_s) return a.iteration_s < b.iteration_s;
  return layout_key(a.layout) < layout_key(b.layout);
}

std::string layout_text(const TrainingLayout& l) {
  return "TP" + std::to_string(l.tp) + " PP" + std::to_string(l.pp) +
         (l.vpp > 1 ? " VPP" + std::to_string(l.vpp) : "") + " DP" + std::to_string(l.dp) + " CP" +
         std::to_string(l.cp) + (l.ep > 1 ? " EP" + std::to_string(l.ep) : "") + ", micro-batch " +
         std::to_string(l.micro_batch) + ", ZeRO-" + std::to_string(l.zero_stage) + ", recompute " +
         recompute_label(l.recompute);
}

// Why a valid layout that fits is not in the space (the first rule it breaks).
std::string outside_reason(const TrainingLayout& l, const SearchSpace& space) {
  if (!contains(space.tp, l.tp)) {
    return l.tp > space.nvlink_domain_gpus || space.nvlink_domain_gpus % l.tp != 0
               ? "tp " + std::to_string(l.tp) + " does not divide the NVLink domain of " +
                     std::to_string(space.nvlink_domain_gpus) +
                     " GPUs; the search keeps tensor parallelism inside the domain"
               : "tp " + std::to_string(l.tp) + " is not among the searched " + join(space.tp);
  }
  if (!contains(space.pp, l.pp)) return "pp " + std::to_string(l.pp) + " is not searched";
  if (!contains(space.cp, l.cp)) return "cp " + std::to_string(l.cp) + " is not searched";
  if (!contains(space.ep, l.ep)) return "ep " + std::to_string(l.ep) + " is not searched";
  if (!contains(space.vpp, l.vpp)) {
    return "vpp " + std::to_string(l.vpp) + " is not searched; the search tries powers of two";
  }
  if (!is_power_of_two(l.micro_batch)) {
    return "micro-batch " + std::to_string(l.micro_batch) +
           " is not a power of two; the search tries powers of two only";
  }
  return "not in the search space";
}

// The scenario's own layout: resolved and its micro-batch chosen as plan_training does, then
// found in the list or estimated on its own to say why it is missing.
OwnLayout locate_own(const Context& ctx, const SearchSpace& space,
                     const std::vector<RankedLayout>& list, SearchObjective objective) {
  OwnLayout own;
  own.layout = ctx.settings;
  own.micro_batch_chosen = ctx.job->micro_batch == 0;
  TrainingLayout& l = own.layout;
  try {
    l = resolve_layout(*ctx.job, ctx.gpus);
    if (own.micro_batch_chosen) {
      l.micro_batch = choose_micro_batch(ctx.model, l, ctx.gpu, ctx.links->paths(l), ctx.gpus);
    }
  } catch (const ConfigurationError& error) {
    own.status = OwnLayoutStatus::Invalid;
    own.note = error.what();
    return own;
  }
  const Evaluation e = evaluate(ctx, l);
  if (e.outcome != Outcome::Fits) {
    const bool invalid = e.outcome == Outcome::Invalid;
    own.status = invalid ? OwnLayoutStatus::Invalid : OwnLayoutStatus::DoesNotFit;
    own.note = invalid ? e.error : describe(e.memory);
    return own;
  }
  own.figures = e.figures;

  // ZeRO shards over dp: with one replica every stage is ZeRO-0, the only one listed.
  TrainingLayout listed = l;
  if (l.dp == 1 && expert_data_parallel_size(l) == 1 && l.zero_stage != 0) {
    listed.zero_stage = 0;
    own.note = "ZeRO-" + std::to_string(l.zero_stage) +
               " with dp 1 shards nothing; it is listed as ZeRO-0";
  }
  const auto match = std::find_if(list.begin(), list.end(), [&](const RankedLayout& r) {
    return layout_key(r.layout) == layout_key(listed);
  });
  if (match != list.end()) {
    own.status = OwnLayoutStatus::Ranked;
    own.rank = match->rank;
    own.figures = *match;
    return own;
  }
  own.status = OwnLayoutStatus::OutsideSpace;
  RankedLayout as_listed = own.figures;
  as_listed.layout = listed;
  own.rank =
      1 + static_cast<int>(std::count_if(list.begin(), list.end(), [&](const RankedLayout& r) {
        return better(r, as_listed, objective);
      }));
  own.note = outside_reason(l, space);
  return own;
}

}  // namespace

std::string to_string(SearchObjective objective) {
  return objective == SearchObjective::Cost ? "cost" : "time";
}

std::string recompute_label(Recompute recompute) {
  switch (recompute) {
    case Recompute::None:
      return "none";
    case Recompute::Selective:
      return "selective";
    case Recompute::Full:
      return "full";
  }
  return "none";
}

SearchSpace search_space(const TrainingWorkload& job, const ClusterConfig& cluster) {
  SearchSpace space;
  const int gpus = cluster.gpu_count();
  space.nvlink_domain_gpus = std::max(1, cluster.server.nvlink_domain_gpus);
  if (gpus <= 0) return space;
  for (const int d : divisors(space.nvlink_domain_gpus)) {
    if (job.model.heads > 0 && job.model.heads % d == 0 && job.model.kv_heads > 0 &&
        job.model.kv_heads % d == 0 && gpus % d == 0) {
      space.tp.push_back(d);
    }
  }
  for (const int d : divisors(gpus)) {
    if (d <= job.model.layers) space.pp.push_back(d);
    if (job.seq_len > 0 && job.seq_len % d == 0) space.cp.push_back(d);
  }
  // Expert parallelism only where there are experts to spread; each layout keeps the candidates
  // that divide its dp x cp.
  if (job.model.moe_experts > 0) space.ep = divisors(job.model.moe_experts);
  for (int vpp = 2; 2 * vpp <= job.model.layers; vpp *= 2) space.vpp.push_back(vpp);
  return space;
}

LayoutSearchResult search_layouts(const TrainingWorkload& job, const ClusterConfig& cluster,
                                  const ClusterPlan& cluster_plan, const SearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::string context = "workload '" + job.name + "' on cluster '" + cluster.name + "': ";
  LayoutSearchResult result;
  result.objective = options.objective;
  result.space = search_space(job, cluster);
  const SearchSpace& space = result.space;

  // What no layout can change is checked once, with the context: the model shape, the GPU's
  // precision, storage for checkpoints (run_figures of a zero-time run throws without it).
  Context ctx;
  ctx.job = &job;
  ctx.cluster_plan = &cluster_plan;
  ctx.settings = scenario_layout(job);
  ctx.gpus = cluster_plan.gpus;
  try {
    ctx.model = model_shape(job.model);
    const ParameterCounts parameters = count_parameters(ctx.model);  // validates the shape
    ctx.gpu = gpu_performance(cluster.gpu, job.precision);
    run_figures(job, cluster_plan, parameters.total, 0.0);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(context + error.what());
  }
  // A loader rate per server was measured at the scenario's own layout: the bytes an iteration
  // reads are that rate times that layout's iteration, the same for every layout searched.
  TrainingWorkload reads_fixed_bytes = job;
  if (job.data_loading.read_per_server_Bps > 0) {
    try {
      const TrainingPlan own = plan_iteration(job, cluster, cluster_plan);
      reads_fixed_bytes.data_loading = {own.input.bytes_per_iteration / job.global_batch, 0.0};
    } catch (const ConfigurationError& error) {
      throw ConfigurationError(std::string(error.what()) +
                               "; data_loading.read_per_server is a rate at this layout, so the "
                               "search needs it to run: expected bytes_per_sample instead");
    }
    ctx.job = &reads_fixed_bytes;
  }
  CommPathCache links(cluster_plan.topology, cluster);
  ctx.links = &links;
  result.rented = options.rent && cluster_plan.cost.rental_usd_per_h.has_value();
  result.usd_per_h =
      result.rented ? *cluster_plan.cost.rental_usd_per_h : cluster_plan.cost.owned_usd_per_h;
  ctx.rented = result.rented;

  // The enumeration, one loop per dimension of SearchSpace (dp and micro-batch follow).
  SearchStats& stats = result.stats;
  double smallest_need = 0;
  std::string smallest_need_text, first_error;
  for (const int tp : space.tp) {
    for (const int pp : space.pp) {
      for (const int cp : space.cp) {
        const long model_parallel = static_cast<long>(tp) * pp * cp;
        if (ctx.gpus % model_parallel != 0) continue;
        const int dp = static_cast<int>(ctx.gpus / model_parallel);
        if (job.global_batch % dp != 0) continue;
        const int per_replica = job.global_batch / dp;
        for (const int vpp : space.vpp) {
          // Interleaving needs a pipeline and a layer for every virtual stage.
          if (vpp > 1 && (pp < 2 || static_cast<long>(pp) * vpp > job.model.layers)) continue;
          for (const int ep : space.ep) {
            if ((static_cast<long>(dp) * cp) % ep != 0) continue;  // EP is carved out of dp x cp
            const long expert_dp = ep > 1 ? static_cast<long>(dp) * cp / ep : dp;
            for (int micro = 1; micro <= per_replica && per_replica % micro == 0; micro *= 2) {
              for (const int zero : space.zero_stages) {
                // ZeRO shards over dp (experts: over dp cp / ep): stages 1-3 equal 0 with both 1.
                if (dp == 1 && expert_dp == 1 && zero != 0) continue;
                for (const Recompute recompute : space.recompute) {
                  const TrainingLayout layout =
                      sized(ctx.settings, tp, pp, vpp, cp, dp, ep, micro, zero, recompute);
                  ++stats.evaluated;
                  Evaluation e = evaluate(ctx, layout);
                  if (e.outcome == Outcome::Invalid) {
                    if (first_error.empty()) first_error = layout_text(layout) + ": " + e.error;
                    continue;
                  }
                  ++stats.valid;
                  if (e.outcome == Outcome::DoesNotFit) {
                    if (smallest_need_text.empty() || e.memory.total_bytes < smallest_need) {
                      smallest_need = e.memory.total_bytes;
                      smallest_need_text = layout_text(layout) + ": " + describe(e.memory);
                    }
                    continue;
                  }
                  ++stats.fitting;
                  result.layouts.push_back(e.figures);
                }
              }
            }
          }
        }
      }
    }
  }

  std::sort(result.layouts.begin(), result.layouts.end(),
            [&](const RankedLayout& a, const RankedLayout& b) {
              return better(a, b, options.objective);
            });
  for (std::size_t i = 0; i < result.layouts.size(); ++i)
    result.layouts[i].rank = static_cast<int>(i) + 1;

  if (result.layouts.empty()) {
    if (stats.evaluated == 0) {
      result.empty_reason = "no tp {" + join(space.tp) + "} x pp {" + join(space.pp) + "} x cp {" +
                            join(space.cp) + "} leaves a dp = " + std::to_string(ctx.gpus) +
                            " GPUs / (tp x pp x cp) that divides the global batch of " +
                            std::to_string(job.global_batch);
    } else if (stats.valid == 0) {
      result.empty_reason = "no layout is valid; the first: " + first_error;
    } else {
      result.empty_reason =
          "no layout fits in GPU memory; the smallest need is " + smallest_need_text;
    }
  }
  result.own = locate_own(ctx, space, result.layouts, options.objective);
  stats.comm_paths = links.groups();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace capsim
