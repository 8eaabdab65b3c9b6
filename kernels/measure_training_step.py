#!/usr/bin/env python3
"""Times forward + backward of GPT layer stacks in plain PyTorch on one GPU, sustained.

Each case is the per-GPU work of a published Megatron-Core row (the NVIDIA/Megatron-LM README
H100 table in shared/validation/training_public.csv) with the tensor-parallel split done by hand:
one rank's share of heads, MLP and vocabulary, the whole sequence (no sequence parallelism, no
communication). Per case and micro-batch it runs steps of 4 sequences of 4096 tokens for
WARM seconds (the GPU settles at its power limit), then times every step for TIME seconds with
CUDA events, then profiles one step and sums kernel time by kernel name.

Writes into OUT_DIR: steps.csv (one row per timed step), kernels.csv (kernel totals of the
profiled step), clocks.csv (SM clock and board power every 50 ms, NVML).
    python3 kernels/measure_training_step.py OUT_DIR [WARM_S] [TIME_S] [CASE,CASE...]
"""
import csv
import os
import sys
import threading
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SEQ = 4096
SEQS_PER_STEP = 4
HEAD_DIM = 128

# name: layers, hidden, local heads, local MLP width, local vocabulary, micro-batches to try.
CASES = [
    ("gpt-1.7b-tp1", 24, 2048, 16, 8192, 131072, [1, 2, 4]),
    ("gpt-7.1b-tp2-rank", 30, 4096, 16, 8192, 65536, [1, 2]),
    ("gpt-16b-tp4-rank", 32, 6144, 12, 6144, 32768, [1, 2]),
    ("gpt-32b-tp8-rank", 48, 7168, 7, 3584, 16384, [1]),
    # One pipeline stage of the 70B (84 layers over PP 2) and 119B (92 over PP 4) rows, with the
    # output layer as on the last stage.
    ("gpt-70b-tp8-stage", 42, 8192, 8, 4096, 16384, [1]),
    ("gpt-119b-tp8-stage", 23, 10240, 10, 5120, 16384, [1]),
]


class Layer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        inner = heads * HEAD_DIM
        self.ln1 = nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * inner)
        self.proj = nn.Linear(inner, hidden)
        self.ln2 = nn.LayerNorm(hidden)
        self.fc1 = nn.Linear(hidden, ffn)
        self.fc2 = nn.Linear(ffn, hidden)

    def forward(self, x):
        b, t, _ = x.shape
        qkv = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, HEAD_DIM)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, self.heads * HEAD_DIM))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, layers, hidden, heads, ffn, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(SEQ, hidden)
        self.layers = nn.ModuleList(Layer(hidden, heads, ffn) for _ in range(layers))
        self.ln_f = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, vocab, bias=False)

    def forward(self, tokens, labels):
        x = self.embed(tokens) + self.pos.weight[: tokens.shape[1]]
        for layer in self.layers:
            x = layer(x)
        logits = self.out(self.ln_f(x)).float()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1))


class ClockSampler(threading.Thread):
    """SM clock (MHz) and board power (W) every 50 ms through NVML, with wall time."""

    def __init__(self):
        super().__init__(daemon=True)
        self.rows = []
        self.stop = threading.Event()
        try:
            import pynvml

            pynvml.nvmlInit()
            self.nvml = pynvml
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception as error:  # the measurement still runs without clocks
            print(f"no NVML clock sampling: {error}", file=sys.stderr)
            self.nvml = None

    def run(self):
        while self.nvml and not self.stop.is_set():
            clock = self.nvml.nvmlDeviceGetClockInfo(self.handle, self.nvml.NVML_CLOCK_SM)
            power = self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1000.0
            self.rows.append((time.time(), clock, power))
            time.sleep(0.05)

    def mean_between(self, start, end):
        inside = [(c, p) for t, c, p in self.rows if start <= t <= end]
        if not inside:
            return float("nan"), float("nan")
        return (sum(c for c, _ in inside) / len(inside), sum(p for _, p in inside) / len(inside))


def one_step(model, batches):
    model.zero_grad(set_to_none=False)
    for tokens, labels in batches:
        model(tokens, labels).backward()


def kernel_time_us(event):
    for name in ("self_device_time_total", "self_cuda_time_total", "device_time_total"):
        if hasattr(event, name):
            return getattr(event, name)
    return float("nan")


def measure(out_dir, warm_s, time_s, only):
    sampler = ClockSampler()
    sampler.start()
    device = torch.device("cuda")
    steps = open(os.path.join(out_dir, "steps.csv"), "w", newline="")
    kernels = open(os.path.join(out_dir, "kernels.csv"), "w", newline="")
    step_csv, kernel_csv = csv.writer(steps), csv.writer(kernels)
    step_csv.writerow(["case", "micro_batch", "step", "seconds", "sm_clock_mhz", "power_w"])
    kernel_csv.writerow(["case", "micro_batch", "kernel", "calls", "device_us", "step_wall_us"])
    name_gpu = torch.cuda.get_device_name(0)
    print(f"# {name_gpu}, torch {torch.__version__}, cuda {torch.version.cuda}", flush=True)
    for name, layers, hidden, heads, ffn, vocab, micro_batches in CASES:
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = Gpt(layers, hidden, heads, ffn, vocab).to(device, torch.bfloat16)
        for mb in micro_batches:
            batches = None
            try:
                batches = [
                    (
                        torch.randint(0, vocab, (mb, SEQ), device=device),
                        torch.randint(0, vocab, (mb, SEQ), device=device),
                    )
                    for _ in range(SEQS_PER_STEP // mb)
                ]
                until = time.time() + warm_s
                while time.time() < until:
                    one_step(model, batches)
                    torch.cuda.synchronize()
                times = []
                until = time.time() + time_s
                while time.time() < until:
                    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    wall_begin = time.time()
                    begin.record()
                    one_step(model, batches)
                    end.record()
                    end.synchronize()
                    seconds = begin.elapsed_time(end) / 1000.0
                    clock, power = sampler.mean_between(wall_begin, time.time())
                    step_csv.writerow([name, mb, len(times), f"{seconds:.6f}", f"{clock:.0f}", f"{power:.1f}"])
                    times.append(seconds)
                times.sort()
                print(f"{name} mb{mb}: {len(times)} steps, median {times[len(times) // 2] * 1e3:.1f} ms, "
                      f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB", flush=True)
                with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
                    wall_begin = time.time()
                    one_step(model, batches)
                    torch.cuda.synchronize()
                    wall_us = (time.time() - wall_begin) * 1e6
                for event in prof.key_averages():
                    kernel_csv.writerow([name, mb, event.key, event.count, f"{kernel_time_us(event):.1f}",
                                         f"{wall_us:.0f}"])
            except torch.cuda.OutOfMemoryError:
                print(f"{name} mb{mb}: out of memory", flush=True)
                step_csv.writerow([name, mb, "oom", "", "", ""])
            del batches
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            steps.flush()
            kernels.flush()
        del model
        torch.cuda.empty_cache()
    sampler.stop.set()
    with open(os.path.join(out_dir, "clocks.csv"), "w", newline="") as clocks:
        writer = csv.writer(clocks)
        writer.writerow(["unix_s", "sm_clock_mhz", "power_w"])
        writer.writerows((f"{t:.3f}", c, f"{p:.1f}") for t, c, p in sampler.rows)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: measure_training_step.py OUT_DIR [WARM_S] [TIME_S]")
    measure(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 8.0,
            float(sys.argv[3]) if len(sys.argv) > 3 else 5.0,
            sys.argv[4].split(",") if len(sys.argv) > 4 else [])
