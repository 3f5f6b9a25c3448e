#!/usr/bin/env python3
"""Kernel-level measurements that check the step model's achievable-efficiency factors on a real GPU.

Run on a machine with one NVIDIA GPU and PyTorch:  python3 scripts/gpu_microbench.py OUT.csv [SECTIONS [SHAPES]]
(SECTIONS: comma-separated function names, e.g. gemm_tests,gemm_fp8_tests; SHAPES: GEMM labels)
Writes one CSV row per measurement (columns below) and prints a short summary.

What it measures, and which factor of data/perf/efficiency.yaml each checks:
  stream_copy / stream_read   large device copies and reductions: achievable HBM bandwidth        (memory_bw)
  gemm_bf16 / gemm_fp8        weight GEMMs of real models' linear-layer shapes, M = 1 .. 16384 tokens:
                              bandwidth-bound at small M (weights streamed once), compute-bound at large M
                              (memory_bw, compute_bf16, compute_fp8)
  moe_bmm_bf16                batched expert GEMMs (E experts x t tokens each), balanced routing  (compute_moe)
  moe_grouped_bf16/_fp8       torch._grouped_mm / _scaled_grouped_mm over experts with random top-k routing
                              (uneven groups, padded to 16 rows): an MoE layer's grouped GEMM     (compute_moe, moe_tile_tokens)
  attn_decode_bf16            one query token per sequence against a KV cache (GQA)                (attention_memory_bw)
  attn_prefill_bf16           causal prefill attention                                              (attention_compute)
  rmsnorm_bf16 / silu_mul     unfused per-token kernels between the GEMMs: their bandwidth and fixed cost
  grouped_slice_tests         routed-expert GEMMs at tensor-parallel slices (narrow K or N per expert)
  narrow_k_tests              dense GEMMs of shrinking reduction depth K
  attn_prefix / attn_cross    prefill of new tokens over a cached prefix, by SDPA backend (attention_compute)
  decode_step_bf16            whole decode steps (dense Llama-8B, MoE Qwen3-30B-A3B shapes) as one CUDA graph
  gemm_fp8_block              FP8 GEMMs with DeepSeek's 1x128 / 128x128 block scales (block_fp8_*)
  mla_prefill_tests           MLA's uncompressed prefill attention (head dims 192/128), per SDPA backend

Method: every timed region is a CUDA graph of `reps` calls that rotate over enough copies of the inputs to
exceed the L2 cache, replayed after a warm-up; the time is the median of several replays (CUDA events), divided
by `reps`. Inputs are random (never zeros). torch's kernels (cuBLAS, cuBLASLt, SDPA) are what a serving
engine's own kernels should at least reach, so these are lower bounds of the achievable efficiency.
"""
import csv
import math
import statistics
import sys
import time

import torch

L2_ROTATE_BYTES = 512 << 20  # rotate input copies until they exceed this, far beyond any L2


def timed_graph(fn_list, reps_target=20, replays=7):
    """Median seconds per call of the callables in fn_list (called round-robin), via a CUDA graph."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for f in fn_list:  # warm-up outside the graph (handles, autotuning)
            f()
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    reps = max(reps_target, len(fn_list))
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(reps):
            fn_list[i % len(fn_list)]()
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(replays):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3 / reps)
    del graph
    return statistics.median(times)


def copies_for(nbytes):
    return max(2, min(64, math.ceil(L2_ROTATE_BYTES / max(nbytes, 1))))


ROWS = []


def emit(kind, label, m, k, n, extra, seconds, flops, nbytes):
    row = dict(kind=kind, label=label, m=m, k=k, n=n, extra=extra, time_us=round(seconds * 1e6, 3),
               tflops=round(flops / seconds / 1e12, 2) if flops else 0.0,
               gb_s=round(nbytes / seconds / 1e9, 1) if nbytes else 0.0)
    ROWS.append(row)
    print(f"{kind:18s} {label:22s} m={m:6d} k={k:6d} n={n:6d} {extra:14s} {row['time_us']:10.2f} us "
          f"{row['tflops']:8.1f} TF/s {row['gb_s']:8.1f} GB/s", flush=True)


def stream_tests():
    n = 1 << 30  # 2 GiB of bf16
    src = torch.randn(n, device="cuda", dtype=torch.bfloat16)
    dst = torch.empty_like(src)
    s = timed_graph([lambda: dst.copy_(src)], reps_target=10)
    emit("stream_copy", "2GiB", 0, 0, 0, "read+write", s, 0, 2 * n * 2)
    out = torch.empty(n // 4096, device="cuda", dtype=torch.float32)
    view = src.view(-1, 4096)
    s = timed_graph([lambda: torch.sum(view, dim=1, dtype=torch.float32, out=out)], reps_target=10)
    emit("stream_read", "2GiB", 0, 0, 0, "row-sum", s, 0, n * 2)
    del src, dst


# (label, K, N): linear layers of real models, per GPU under the stated tensor parallelism.
GEMM_SHAPES = [
    ("llama8b_qkv", 4096, 6144),
    ("llama8b_gateup", 4096, 28672),
    ("llama8b_down", 14336, 4096),
    ("llama70b_tp4_gateup", 8192, 14336),
    ("llama70b_tp4_down", 7168, 8192),
    ("square_8192", 8192, 8192),
    # narrow tensor-parallel slices (Llama-3.1-70B at TP8, 8B at TP8): few output tiles per GEMM
    ("llama70b_tp8_qkv", 8192, 1280),
    ("llama70b_tp8_o", 1024, 8192),
    ("llama70b_tp8_gateup", 8192, 7168),
    ("llama70b_tp8_down", 3584, 8192),
    ("llama8b_tp8_qkv", 4096, 768),
    ("llama8b_tp8_down", 1792, 4096),
]
GEMM_MS = [1, 4, 16, 32, 64, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096, 8192, 16384]


def gemm_tests():
    for label, k, n in GEMM_SHAPES:
        if ONLY_SHAPES and label not in ONLY_SHAPES:
            continue
        wbytes = k * n * 2
        c = copies_for(wbytes)
        weights = [torch.randn(n, k, device="cuda", dtype=torch.bfloat16) * 0.02 for _ in range(c)]
        for m in GEMM_MS:
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            outs = [torch.empty(m, n, device="cuda", dtype=torch.bfloat16) for _ in range(2)]
            fns = [(lambda w=w, o=outs[i % 2]: torch.matmul(x, w.t(), out=o)) for i, w in enumerate(weights)]
            s = timed_graph(fns)
            emit("gemm_bf16", label, m, k, n, "", s, 2.0 * m * k * n, wbytes + 2 * m * (k + n))
            del x, outs, fns
        del weights
        torch.cuda.empty_cache()


ONLY_SHAPES = None  # set from argv[3]: comma-separated GEMM labels
OUT_PATH = "gpu_microbench.csv"  # set from argv[1]
# moe_decode_chain_tests: give the spare padding rows to the last expert's group (1) or to no group (0). The first
# run (2026-11-30, 1) made the last expert compute ~1900 padding rows per GEMM: an artefact, kept labelled.
SPARE_ROWS_IN_LAST_GROUP = False


def gemm_fp8_tests():
    if not hasattr(torch, "_scaled_mm"):
        print("fp8: torch._scaled_mm missing, skipped")
        return
    one = torch.tensor(1.0, device="cuda")
    for label, k, n in GEMM_SHAPES:
        if ONLY_SHAPES and label not in ONLY_SHAPES:
            continue
        wbytes = k * n
        c = copies_for(wbytes)
        weights = [(torch.randn(n, k, device="cuda") * 0.5).to(torch.float8_e4m3fn) for _ in range(c)]
        for m in GEMM_MS:
            mp = max(m, 16)
            x = (torch.randn(mp, k, device="cuda") * 0.5).to(torch.float8_e4m3fn)
            try:
                fns = [(lambda w=w: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
                       for w in weights]
                s = timed_graph(fns)
            except Exception as e:  # noqa: BLE001 - record and move on
                print(f"fp8 {label} m={mp}: {type(e).__name__}: {str(e)[:120]}")
                continue
            emit("gemm_fp8", label, mp, k, n, "", s, 2.0 * mp * k * n, wbytes + mp * k + 2 * mp * n)
        del weights
        torch.cuda.empty_cache()


# (label, experts, K, N): an MoE layer's gate+up projection per GPU.
MOE_SHAPES = [
    ("mixtral_gateup", 8, 4096, 28672),
    ("scout_gateup", 16, 5120, 16384),
    ("qwen3_30b_gateup", 128, 2048, 1536),
]
MOE_TOKENS = [1, 4, 16, 64, 128, 256, 512, 1024, 2048]


def moe_tests():
    for label, e, k, n in MOE_SHAPES:
        wbytes = e * k * n * 2
        c = copies_for(wbytes)
        weights = [torch.randn(e, k, n, device="cuda", dtype=torch.bfloat16) * 0.02 for _ in range(c)]
        for t in MOE_TOKENS:
            if e * t * max(k, n) * 2 > (4 << 30):
                continue
            x = torch.randn(e, t, k, device="cuda", dtype=torch.bfloat16)
            o = torch.empty(e, t, n, device="cuda", dtype=torch.bfloat16)
            fns = [(lambda w=w: torch.bmm(x, w, out=o)) for w in weights]
            s = timed_graph(fns)
            emit("moe_bmm_bf16", label, t, k, n, f"E={e}", s, 2.0 * e * t * k * n, wbytes + 2 * e * t * (k + n))
            del x, o
        del weights
        torch.cuda.empty_cache()


# (label, local experts, model experts, top_k, K, N): routed-expert GEMM of one MoE layer on one GPU.
GROUPED_SHAPES = [
    ("mixtral_gateup", 8, 8, 2, 4096, 28672),
    ("qwen3_30b_gateup", 128, 128, 8, 2048, 1536),
    ("scout_gateup", 16, 16, 1, 5120, 16384),
    ("deepseek_ep8_gateup", 32, 256, 8, 7168, 4096),  # 256 experts over 8 GPUs: 32 local, ~k/8 of each token's picks
]
GROUPED_TOKENS = [16, 64, 256, 1024, 4096, 16384]
# Tensor-parallel slices of routed experts: every GPU holds every expert, each cut along the intermediate dim, so
# the down projection's reduction depth K is moe_intermediate / TP (DeepSeek-V3 at TP8: 2048 / 8 = 256).
# The expert-parallel down projection of the same model is the full-K reference.
GROUPED_SLICE_SHAPES = [
    ("deepseek_tp8_gateup", 256, 256, 8, 7168, 512),
    ("deepseek_tp8_down", 256, 256, 8, 256, 7168),
    ("deepseek_tp4_down", 256, 256, 8, 512, 7168),
    ("deepseek_ep8_down", 32, 256, 8, 2048, 7168),
    ("qwen3_235b_tp8_down", 128, 128, 8, 192, 4096),
    ("gptoss_tp4_down", 128, 128, 4, 720, 2880),
]
GROUPED_SLICE_TOKENS = [64, 1024, 4096, 16384]


def grouped_tests(fp8=False, shapes=None, token_counts=None):
    """Grouped expert GEMM with random top-k routing (uneven tokens per expert, groups padded to 16 rows as the
    kernels require): torch._grouped_mm (bf16) or torch._scaled_grouped_mm (fp8 e4m3, row-wise scales).
    m = routed token rows (tokens x top-k, before padding); extra = E, k, tokens, touched."""
    gen = torch.Generator(device="cpu").manual_seed(1234)
    wb = 1 if fp8 else 2
    for label, e, total_e, k, kd, n in (shapes or GROUPED_SHAPES):
        wbytes = e * kd * n * wb
        c = copies_for(wbytes)
        weights = [torch.randn(e, n, kd, device="cuda", dtype=torch.bfloat16) * 0.02 for _ in range(c)]
        if fp8:
            weights = [(w * 20).to(torch.float8_e4m3fn) for w in weights]
            scale_b = torch.ones(e, n, device="cuda", dtype=torch.float32)
        for t in (token_counts or GROUPED_TOKENS):
            # each token picks k distinct experts uniformly among the model's (local ones kept)
            picks = torch.stack([torch.randperm(total_e, generator=gen)[:k] for _ in range(t)]) if t <= 4096 else \
                torch.randint(0, total_e, (t, k), generator=gen)
            picks = picks[picks < e]
            counts = torch.bincount(picks.flatten(), minlength=e)
            routed = int(counts.sum())
            touched = int((counts > 0).sum())
            padded = ((counts + 15) // 16) * 16
            rows = int(padded.sum())
            if rows == 0:
                continue
            offs = torch.cumsum(padded, 0).to(torch.int32).cuda()
            x = torch.randn(rows, kd, device="cuda", dtype=torch.bfloat16)
            extra = f"E={e};k={k};T={t};touched={touched}"
            try:
                if fp8:
                    x8 = (x * 0.5).to(torch.float8_e4m3fn)
                    scale_a = torch.ones(rows, device="cuda", dtype=torch.float32)
                    fns = [(lambda w=w: torch._scaled_grouped_mm(x8, w.transpose(-2, -1), scale_a, scale_b, offs=offs,
                                                                 out_dtype=torch.bfloat16)) for w in weights]
                else:
                    fns = [(lambda w=w: torch._grouped_mm(x, w.transpose(-2, -1), offs=offs)) for w in weights]
                s = timed_graph(fns)
            except Exception as ex:  # noqa: BLE001 - record and move on
                print(f"grouped {'fp8' if fp8 else 'bf16'} {label} T={t}: {type(ex).__name__}: {str(ex)[:160]}")
                continue
            emit("moe_grouped_fp8" if fp8 else "moe_grouped_bf16", label, routed, kd, n, extra, s,
                 2.0 * routed * kd * n, touched * kd * n * wb + routed * kd * wb + 2 * routed * n)
            del x
        del weights
        torch.cuda.empty_cache()


def grouped_fp8_tests():
    grouped_tests(fp8=True)


def grouped_slice_tests():
    """Routed-expert GEMMs as tensor parallelism slices them (narrow K or N per expert), bf16 then fp8."""
    grouped_tests(False, GROUPED_SLICE_SHAPES, GROUPED_SLICE_TOKENS)
    torch.cuda.empty_cache()
    grouped_tests(True, GROUPED_SLICE_SHAPES, GROUPED_SLICE_TOKENS)


def narrow_k_tests():
    """Dense GEMMs of shrinking reduction depth K at large M (bf16 and fp8), N = 7168: how a GEMM's rate falls
    when each output tile has few K steps to amortise its prologue and epilogue over."""
    one = torch.tensor(1.0, device="cuda")
    n = 7168
    for k in [128, 256, 512, 1024, 2048, 4096, 7168]:
        for m in [4096, 16384]:
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            ws = [torch.randn(n, k, device="cuda", dtype=torch.bfloat16) * 0.02 for _ in range(copies_for(k * n * 2))]
            o = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)
            s = timed_graph([(lambda w=w: torch.matmul(x, w.t(), out=o)) for w in ws])
            emit("gemm_bf16", f"narrow_k{k}", m, k, n, "", s, 2.0 * m * k * n, k * n * 2 + 2 * m * (k + n))
            try:
                x8 = (x * 0.5).to(torch.float8_e4m3fn)
                w8 = [(w * 20).to(torch.float8_e4m3fn) for w in ws]
                s = timed_graph([(lambda w=w: torch._scaled_mm(x8, w.t(), scale_a=one, scale_b=one,
                                                               out_dtype=torch.bfloat16)) for w in w8])
                emit("gemm_fp8", f"narrow_k{k}", m, k, n, "", s, 2.0 * m * k * n, k * n + m * k + 2 * m * n)
                del x8, w8
            except Exception as e:  # noqa: BLE001
                print(f"fp8 narrow_k{k} m={m}: {type(e).__name__}: {str(e)[:160]}")
            del x, ws, o
        torch.cuda.empty_cache()


def prefix_prefill_tests():
    """Prefill of q new tokens per sequence over a cached prefix (kv = prefix + q tokens), causal aligned to the
    bottom right as chunked prefill and prefix caching run it. m = new tokens, k = attended context (prefix + new),
    n = head dim; label hQ_kvK query/KV heads; FLOPs count the attended pairs only."""
    import torch.nn.functional as F
    from torch.nn.attention.bias import causal_lower_right
    for hq, hkv, hd in [(64, 8, 128), (64, 8, 64), (16, 16, 192)]:
        for batch, q_len, prefix in [(1, 1024, 0), (1, 4096, 0), (1, 1024, 32768), (1, 4096, 32768),
                                     (1, 4096, 126976), (1, 8192, 122880), (4, 2048, 30720)]:
            kv = prefix + q_len
            q = torch.randn(batch, hq, q_len, hd, device="cuda", dtype=torch.bfloat16)
            k = torch.randn(batch, hkv, kv, hd, device="cuda", dtype=torch.bfloat16)
            v = torch.randn_like(k)
            pairs = batch * (q_len * prefix + q_len * (q_len + 1) / 2)
            try:
                if prefix == 0:
                    fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=hq != hkv)
                else:
                    bias = causal_lower_right(q_len, kv)
                    fn = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=hq != hkv)
                tag = ""
                try:
                    s = timed_graph([fn], reps_target=5)
                except Exception as e:  # noqa: BLE001 - a causal bias without GQA support: KV heads expanded
                    print(f"prefix h{hq}/{hkv}: {type(e).__name__}: {str(e)[:120]}; retrying with expanded KV heads")
                    ke, ve = k.repeat_interleave(hq // hkv, 1), v.repeat_interleave(hq // hkv, 1)
                    bias = causal_lower_right(q_len, kv)
                    s = timed_graph([lambda: F.scaled_dot_product_attention(q, ke, ve, attn_mask=bias)], reps_target=5)
                    tag = ";kv_expanded"
                    del ke, ve
                emit("attn_prefix_bf16", f"h{hq}_kv{hkv}", batch * q_len, kv, hd, f"b={batch};prefix={prefix}{tag}", s,
                     4.0 * hq * hd * pairs, 2 * batch * (hq * q_len + hkv * kv) * hd * 2)
            except Exception as e:  # noqa: BLE001
                print(f"prefix h{hq}/{hkv}/{hd} b={batch} q={q_len} prefix={prefix}: {type(e).__name__}: {str(e)[:160]}")
            del q, k, v
            torch.cuda.empty_cache()


def decode_inputs(batch, hq, hkv, ctx, hd):
    """One query token per sequence and enough KV-cache copies to rotate past the L2: (q, [(k, v)], kv bytes)."""
    kvbytes = 2 * batch * hkv * ctx * hd * 2
    c = copies_for(kvbytes)
    if c * kvbytes > (24 << 30):
        c = 2
    q = torch.randn(batch, hq, 1, hd, device="cuda", dtype=torch.bfloat16)
    kvs = [(torch.randn(batch, hkv, ctx, hd, device="cuda", dtype=torch.bfloat16),
            torch.randn(batch, hkv, ctx, hd, device="cuda", dtype=torch.bfloat16)) for _ in range(c)]
    return q, kvs, kvbytes


def time_decode(label, extra, fn, kvs, batch, hq, ctx, hd, kvbytes):
    """Times fn(k, v) rotating over kvs and records one attn_decode_bf16 row; a failure is printed, not fatal."""
    try:
        s = timed_graph([(lambda kk=kk, vv=vv: fn(kk, vv)) for kk, vv in kvs])
        emit("attn_decode_bf16", label, batch, ctx, hd, extra, s, 4.0 * batch * hq * ctx * hd, kvbytes)
    except Exception as e:  # noqa: BLE001
        print(f"decode {extra} {label} b={batch} ctx={ctx}: {type(e).__name__}: {str(e)[:160]}")


def attention_tests():
    import torch.nn.functional as F
    hd = 128
    # decode: llama-70B-like heads on one GPU (64 query heads, 8 KV heads), one query token per sequence
    for batch, ctx in [(8, 1024), (8, 8192), (64, 1024), (64, 4096), (128, 2048), (32, 16384)]:
        hq, hkv = 64, 8
        q, kvs, kvbytes = decode_inputs(batch, hq, hkv, ctx, hd)
        time_decode(f"hq{hq}_hkv{hkv}", "sdpa", lambda kk, vv: F.scaled_dot_product_attention(q, kk, vv, enable_gqa=True),
                    kvs, batch, hq, ctx, hd, kvbytes)
        # the same decode as three plain kernels (scores, softmax, weighted sum), each KV head read once per group
        qg = q.view(batch, hkv, hq // hkv, hd)

        def grouped(kk, vv):
            scores = torch.matmul(qg, kk.transpose(-1, -2)) * (hd ** -0.5)
            return torch.matmul(torch.softmax(scores.float(), dim=-1).to(torch.bfloat16), vv)
        time_decode(f"hq{hq}_hkv{hkv}", "bmm", grouped, kvs, batch, hq, ctx, hd, kvbytes)
        del q, kvs
        torch.cuda.empty_cache()
    # prefill: causal self-attention, 32 heads of 128
    for batch, seq in [(1, 2048), (1, 8192), (4, 4096), (1, 32768)]:
        h = 32
        q = torch.randn(batch, h, seq, hd, device="cuda", dtype=torch.bfloat16)
        k = torch.randn_like(q)
        v = torch.randn_like(q)
        fns = [lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)]
        s = timed_graph(fns, reps_target=5)
        flops = 4.0 * batch * h * seq * seq * hd / 2  # causal: half of QK^T and PV
        emit("attn_prefill_bf16", f"h{h}", batch, seq, hd, "causal", s, flops, 4 * batch * h * seq * hd * 2)
        del q, k, v
        torch.cuda.empty_cache()


def prefill_batch_tests():
    """Causal prefill attention of batches of equal prompts (32 heads of 128, and 64 query / 8 KV heads), the
    shapes a step of chunked or whole-prompt prefill runs: 32x512 ... 2x8192 tokens."""
    import torch.nn.functional as F
    hd = 128
    for hq, hkv in [(32, 32), (64, 8)]:
        for batch, seq in [(32, 512), (16, 1024), (8, 2048), (4, 4096), (2, 8192)]:
            q = torch.randn(batch, hq, seq, hd, device="cuda", dtype=torch.bfloat16)
            k = torch.randn(batch, hkv, seq, hd, device="cuda", dtype=torch.bfloat16)
            v = torch.randn_like(k)
            try:
                s = timed_graph([lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=hq != hkv)],
                                reps_target=5)
                flops = 4.0 * batch * hq * seq * seq * hd / 2  # causal: half of QK^T and PV
                emit("attn_prefill_bf16", f"h{hq}_kv{hkv}", batch, seq, hd, "causal", s, flops,
                     2 * batch * (hq + hkv) * seq * hd * 2)
            except Exception as e:  # noqa: BLE001
                print(f"prefill h{hq}/{hkv} b={batch} seq={seq}: {type(e).__name__}: {str(e)[:160]}")
            del q, k, v
            torch.cuda.empty_cache()


def decode_heads_tests():
    """Fused decode attention (SDPA) for the head slices tensor parallelism leaves on one GPU: (query heads,
    KV heads) = (8, 1) Llama-70B at TP8, (16, 2) at TP4, (32, 8) Llama-8B at TP1, (64, 8) 70B at TP1."""
    import torch.nn.functional as F
    hd = 128
    for hq, hkv in [(8, 1), (16, 2), (32, 8), (64, 8)]:
        for batch, ctx in [(16, 2048), (64, 2048), (256, 1024), (64, 8192)]:
            q, kvs, kvbytes = decode_inputs(batch, hq, hkv, ctx, hd)
            time_decode(f"hq{hq}_hkv{hkv}", "sdpa",
                        lambda kk, vv, q=q: F.scaled_dot_product_attention(q, kk, vv, enable_gqa=True),
                        kvs, batch, hq, ctx, hd, kvbytes)
            del q, kvs
            torch.cuda.empty_cache()


def elementwise_tests():
    """Per-token non-GEMM kernels of a transformer layer (unfused, as torch runs them): bytes moved per token."""
    for hidden, inter in [(4096, 14336), (8192, 28672)]:
        for m in [64, 1024, 8192]:
            x = torch.randn(m, hidden, device="cuda", dtype=torch.bfloat16)
            w = torch.randn(hidden, device="cuda", dtype=torch.bfloat16)
            gu = torch.randn(m, 2 * inter, device="cuda", dtype=torch.bfloat16)
            norm = [lambda: torch.nn.functional.rms_norm(x, (hidden,), w, 1e-5)]
            s = timed_graph(norm)
            emit("rmsnorm_bf16", f"h{hidden}", m, hidden, hidden, "", s, 0, 2 * m * hidden * 2)
            act = [lambda: torch.nn.functional.silu(gu[:, :inter]) * gu[:, inter:]]
            s = timed_graph(act)
            emit("silu_mul_bf16", f"i{inter}", m, 2 * inter, inter, "", s, 0, m * 3 * inter * 2)
            del x, w, gu
    torch.cuda.empty_cache()


def prefix_flash_tests():
    """The cached-prefix prefill of prefix_prefill_tests forced onto the FlashAttention backend, as serving
    kernels (FlashAttention, FlashInfer) run it: the lower-right causal bias if the backend takes it
    (extra 'fused'); and split as a cascade, new tokens over the whole prefix without a mask plus causal attention
    among the new tokens (extra 'split': the two kernels' times added)."""
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.bias import causal_lower_right
    for hq, hkv, hd in [(64, 8, 128), (64, 8, 64), (16, 16, 192)]:
        for batch, q_len, prefix in [(1, 1024, 32768), (1, 4096, 32768), (1, 4096, 126976), (1, 8192, 122880),
                                     (4, 2048, 30720)]:
            kv = prefix + q_len
            q = torch.randn(batch, hq, q_len, hd, device="cuda", dtype=torch.bfloat16)
            k = torch.randn(batch, hkv, kv, hd, device="cuda", dtype=torch.bfloat16)
            v = torch.randn_like(k)
            kp, vp = k[:, :, :prefix], v[:, :, :prefix]
            kn, vn = k[:, :, prefix:].contiguous(), v[:, :, prefix:].contiguous()
            kp, vp = kp.contiguous(), vp.contiguous()
            pairs = batch * (q_len * prefix + q_len * (q_len + 1) / 2)
            flops = 4.0 * hq * hd * pairs
            nbytes = 2 * batch * (hq * q_len + hkv * kv) * hd * 2
            gqa = hq != hkv
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                try:
                    bias = causal_lower_right(q_len, kv)
                    s = timed_graph([lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=gqa)],
                                    reps_target=5)
                    emit("attn_prefix_bf16", f"h{hq}_kv{hkv}", batch * q_len, kv, hd,
                         f"b={batch};prefix={prefix};flash_fused", s, flops, nbytes)
                except Exception as e:  # noqa: BLE001
                    print(f"flash fused h{hq}/{hkv}/{hd} q={q_len} prefix={prefix}: {type(e).__name__}: {str(e)[:120]}")
                try:
                    s1 = timed_graph([lambda: F.scaled_dot_product_attention(q, kp, vp, enable_gqa=gqa)], reps_target=5)
                    s2 = timed_graph([lambda: F.scaled_dot_product_attention(q, kn, vn, is_causal=True, enable_gqa=gqa)],
                                     reps_target=5)
                    emit("attn_prefix_bf16", f"h{hq}_kv{hkv}", batch * q_len, kv, hd,
                         f"b={batch};prefix={prefix};flash_split", s1 + s2, flops, nbytes)
                    emit("attn_cross_bf16", f"h{hq}_kv{hkv}", batch * q_len, prefix, hd, f"b={batch};no_mask;flash", s1,
                         4.0 * hq * hd * batch * q_len * prefix, 2 * batch * (hq * q_len + hkv * prefix) * hd * 2)
                except Exception as e:  # noqa: BLE001
                    print(f"flash split h{hq}/{hkv}/{hd} q={q_len} prefix={prefix}: {type(e).__name__}: {str(e)[:120]}")
            del q, k, v, kp, vp, kn, vn
            torch.cuda.empty_cache()


def attention_backend_tests():
    """Which SDPA backend reaches which rate: causal self-attention of a 4096-token prompt and 4096 new tokens
    over a 126,976-token prefix without a mask, each forced onto FlashAttention-2 and onto cuDNN (extra names the
    backend; 'fused' = the lower-right causal bias over prefix + new tokens)."""
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.bias import causal_lower_right
    backends = [("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION),
                ("efficient", SDPBackend.EFFICIENT_ATTENTION)]
    for hq, hkv, hd in [(64, 8, 128), (64, 8, 64), (16, 16, 192)]:
        gqa = hq != hkv
        q = torch.randn(1, hq, 4096, hd, device="cuda", dtype=torch.bfloat16)
        ks = torch.randn(1, hkv, 4096, hd, device="cuda", dtype=torch.bfloat16)
        kl = torch.randn(1, hkv, 126976 + 4096, hd, device="cuda", dtype=torch.bfloat16)
        kp = kl[:, :, :126976].contiguous()
        cases = [("self_causal", 4096, lambda: F.scaled_dot_product_attention(q, ks, ks, is_causal=True, enable_gqa=gqa),
                  4.0 * hq * hd * 4096 * 4097 / 2, "attn_prefix_bf16", 4096),
                 ("cross", 126976, lambda: F.scaled_dot_product_attention(q, kp, kp, enable_gqa=gqa),
                  4.0 * hq * hd * 4096 * 126976, "attn_cross_bf16", 126976),
                 ("fused", 131072, lambda: F.scaled_dot_product_attention(q, kl, kl, attn_mask=causal_lower_right(4096, 131072),
                                                                          enable_gqa=gqa),
                  4.0 * hq * hd * (4096 * 126976 + 4096 * 4097 / 2), "attn_prefix_bf16", 131072)]
        for name, backend in backends:
            for case, kv, fn, flops, kind, klen in cases:
                try:
                    with sdpa_kernel(backend):
                        s = timed_graph([fn], reps_target=5)
                    prefix = klen - 4096 if case == "fused" else 0
                    extra = f"b=1;prefix={prefix};{name}" if kind == "attn_prefix_bf16" else f"b=1;no_mask;{name}"
                    emit(kind, f"h{hq}_kv{hkv}", 4096, klen, hd, extra, s, flops, 2 * (hq * 4096 + hkv * klen) * hd * 2)
                except Exception as e:  # noqa: BLE001
                    print(f"backend {name} {case} h{hq}/{hkv}/{hd}: {type(e).__name__}: {str(e)[:100]}")
        del q, ks, kl, kp
        torch.cuda.empty_cache()


def time_and_profile_step(label, batch, ctx, extra, step):
    """One decode_step_bf16 row: `step` replayed as one CUDA graph, its kernels counted by the profiler on one eager
    run, and that run's launches and GPU time per kernel name appended to OUT_PATH.kernels.csv (the profiler's
    times leave out the launch gaps). A failure is printed, not fatal."""
    from torch.profiler import ProfilerActivity, profile
    try:
        s = timed_graph([step], reps_target=1, replays=9)
        step()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            step()
            torch.cuda.synchronize()
    except Exception as e:  # noqa: BLE001
        print(f"{label} decode step b={batch} ctx={ctx}: {type(e).__name__}: {str(e)[:300]}")
        return
    kernels = sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
    emit("decode_step_bf16", label, batch, ctx, kernels, extra, s, 0, 0)
    with open(OUT_PATH + ".kernels.csv", "a", newline="") as f:
        w = csv.writer(f)
        if f.tell() == 0:
            w.writerow(["batch", "context", "kernel", "count", "gpu_time_us"])
        for ev in prof.key_averages():
            if str(ev.device_type).endswith("CUDA"):
                w.writerow([batch, ctx, ev.key[:120], ev.count, round(getattr(ev, "device_time_total", 0), 2)])


def decode_chain_tests():
    """A whole decode step of a Llama-3.1-8B-shaped model (32 layers, h 4096, 32/8 heads of 128, gated FFN 14336,
    vocabulary 128256; bf16, distinct random weights per layer) as one CUDA graph of PyTorch kernels: RMSNorm, QKV
    GEMM, a rotary-like multiply, KV-cache write, fused SDPA decode, O GEMM, residual add, RMSNorm, gate/up GEMM,
    SiLU x mul, down GEMM, residual add; final norm, lm_head, argmax. m = batch, k = context per sequence,
    n = kernels per step (counted by the profiler), extra = layers. What a step costs with no host overhead at
    all (the graph replays back to back): the step model's kernel terms plus kernel_fixed_s per kernel.
    Also a chain of 2000 one-element kernels (tiny_kernel_chain): the launch gap plus the shortest kernel."""
    import torch.nn.functional as F
    t = torch.zeros(1, device="cuda")
    s = timed_graph([lambda: [t.add_(1.0) for _ in range(2000)]], reps_target=1)
    emit("tiny_kernel_chain", "add_1elem", 2000, 0, 0, "per kernel", s / 2000, 0, 0)
    L, h, hq, hkv, hd, inter, vocab = 32, 4096, 32, 8, 128, 14336, 128256
    dt = torch.bfloat16
    wqkv = [torch.randn((hq + 2 * hkv) * hd, h, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wo = [torch.randn(h, hq * hd, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wgu = [torch.randn(2 * inter, h, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wd = [torch.randn(h, inter, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    norm = torch.ones(h, device="cuda", dtype=dt)
    wlm = torch.randn(vocab, h, device="cuda", dtype=dt) * 0.02
    for batch, ctx in [(1, 1024), (8, 1024), (32, 1024), (64, 1024), (128, 1024), (32, 4096)]:
        kv = [(torch.randn(batch, hkv, ctx, hd, device="cuda", dtype=dt),
               torch.randn(batch, hkv, ctx, hd, device="cuda", dtype=dt)) for _ in range(L)]
        x0 = torch.randn(batch, h, device="cuda", dtype=dt)
        cos = torch.randn(1, hq, 1, hd, device="cuda", dtype=dt)

        def step():
            x = x0
            for i in range(L):
                y = F.rms_norm(x, (h,), norm, 1e-5)
                qkv = y @ wqkv[i].t()
                q = qkv[:, :hq * hd].view(batch, hq, 1, hd) * cos
                kc, vc = kv[i]
                kc[:, :, ctx - 1].copy_(qkv[:, hq * hd:(hq + hkv) * hd].view(batch, hkv, hd))
                vc[:, :, ctx - 1].copy_(qkv[:, (hq + hkv) * hd:].view(batch, hkv, hd))
                a = F.scaled_dot_product_attention(q, kc, vc, enable_gqa=True)
                x = x + a.reshape(batch, hq * hd) @ wo[i].t()
                gu = F.rms_norm(x, (h,), norm, 1e-5) @ wgu[i].t()
                x = x + (F.silu(gu[:, :inter]) * gu[:, inter:]) @ wd[i].t()
            return torch.argmax(F.rms_norm(x, (h,), norm, 1e-5) @ wlm.t(), dim=-1)
        time_and_profile_step("llama-3.1-8b", batch, ctx, f"layers={L}", step)
        del kv
        torch.cuda.empty_cache()


def moe_decode_chain_tests():
    """A whole decode step of a Qwen3-30B-A3B-shaped MoE model (48 layers, h 2048, 32/4 heads of 128 with q/k
    RMSNorm, 128 experts of 768, top-8, vocabulary 151936; bf16, distinct random weights) as one CUDA graph of
    PyTorch kernels. Experts run as serving engines run them, one grouped GEMM per projection over the routed rows
    sorted by expert (torch._grouped_mm, groups padded to 16 rows); routing, sorting, gathering and the weighted
    combine are plain PyTorch ops. m = batch, k = context, n = kernels per step (profiler), extra = layers."""
    import torch.nn.functional as F
    L, h, hq, hkv, hd, E, K, inter, vocab = 48, 2048, 32, 4, 128, 128, 8, 768, 151936
    dt = torch.bfloat16
    wqkv = [torch.randn((hq + 2 * hkv) * hd, h, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wo = [torch.randn(h, hq * hd, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wr = [torch.randn(E, h, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wgu = [torch.randn(E, 2 * inter, h, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    wd = [torch.randn(E, h, inter, device="cuda", dtype=dt) * 0.02 for _ in range(L)]
    norm = torch.ones(h, device="cuda", dtype=dt)
    hnorm = torch.ones(hd, device="cuda", dtype=dt)
    wlm = torch.randn(vocab, h, device="cuda", dtype=dt) * 0.02
    for batch, ctx in [(1, 1024), (8, 1024), (32, 1024), (64, 1024)]:
        kv = [(torch.randn(batch, hkv, ctx, hd, device="cuda", dtype=dt),
               torch.randn(batch, hkv, ctx, hd, device="cuda", dtype=dt)) for _ in range(L)]
        x0 = torch.randn(batch, h, device="cuda", dtype=dt)
        cos = torch.randn(1, hq, 1, hd, device="cuda", dtype=dt)
        rows = ((batch * K + E * 15 + 15) // 16) * 16
        ar = torch.arange(batch * K, device="cuda")
        ones = torch.ones(batch * K, device="cuda", dtype=torch.int64)

        def moe(i, y):
            probs = torch.softmax((y @ wr[i].t()).float(), dim=-1)
            w, idx = torch.topk(probs, K, dim=-1)
            w = (w / w.sum(-1, keepdim=True)).to(dt)
            flat = idx.reshape(-1)
            order = torch.argsort(flat, stable=True)
            sorted_e = flat[order]
            counts = torch.zeros(E, device="cuda", dtype=torch.int64).scatter_add_(0, flat, ones)
            padded = (counts + 15) // 16 * 16
            pend = torch.cumsum(padded, 0)
            uend = torch.cumsum(counts, 0)
            dest = (pend - padded)[sorted_e] + ar - (uend - counts)[sorted_e]
            src = order // K
            buf = torch.zeros(rows, h, device="cuda", dtype=dt)
            buf[dest] = y[src]
            offs = pend.to(torch.int32)  # rows past the last group's end (spare padding) belong to no group
            if SPARE_ROWS_IN_LAST_GROUP:
                offs[-1:].fill_(rows)
            gu = torch._grouped_mm(buf, wgu[i].transpose(-2, -1), offs=offs)
            out = torch._grouped_mm(F.silu(gu[:, :inter]) * gu[:, inter:], wd[i].transpose(-2, -1), offs=offs)
            contrib = out[dest] * w.reshape(-1)[order].unsqueeze(1)
            return torch.zeros(batch, h, device="cuda", dtype=dt).index_add_(0, src, contrib)

        def step():
            x = x0
            for i in range(L):
                y = F.rms_norm(x, (h,), norm, 1e-6)
                qkv = y @ wqkv[i].t()
                q = F.rms_norm(qkv[:, :hq * hd].view(batch, hq, 1, hd), (hd,), hnorm, 1e-6) * cos
                kc, vc = kv[i]
                kc[:, :, ctx - 1].copy_(F.rms_norm(qkv[:, hq * hd:(hq + hkv) * hd].view(batch, hkv, hd), (hd,), hnorm, 1e-6))
                vc[:, :, ctx - 1].copy_(qkv[:, (hq + hkv) * hd:].view(batch, hkv, hd))
                a = F.scaled_dot_product_attention(q, kc, vc, enable_gqa=True)
                x = x + a.reshape(batch, hq * hd) @ wo[i].t()
                x = x + moe(i, F.rms_norm(x, (h,), norm, 1e-6))
            return torch.argmax(F.rms_norm(x, (h,), norm, 1e-6) @ wlm.t(), dim=-1)
        tag = ";spare_rows_in_last_group" if SPARE_ROWS_IN_LAST_GROUP else ""
        time_and_profile_step("qwen3-30b-a3b", batch, ctx, f"layers={L}{tag}", step)
        del kv
        torch.cuda.empty_cache()


# (label, K, N): DeepSeek-V3 linear layers, whole and at TP8 (block-scaled FP8 checkpoints: 128x128 weight blocks).
BLOCK_FP8_SHAPES = [
    ("dsv3_q_b", 1536, 24576), ("dsv3_o", 16384, 7168), ("dsv3_dense_gateup", 7168, 36864),
    ("dsv3_dense_down", 18432, 7168), ("dsv3_tp8_o", 2048, 7168), ("dsv3_tp8_gateup", 7168, 4608),
    ("dsv3_tp8_down", 2304, 7168), ("dsv3_shared_tp8_down", 256, 7168),
]


def block_fp8_tests():
    """FP8 GEMMs with DeepSeek-V3's block scaling (activations 1x128 per token, weights 128x128) through
    torch._scaled_mm's blockwise path (CUTLASS on Hopper), next to the same GEMM with one scale per tensor.
    kind gemm_fp8_block / gemm_fp8 (label *_pertensor); M = tokens."""
    one = torch.tensor(1.0, device="cuda")
    for label, k, n in BLOCK_FP8_SHAPES:
        ws = [(torch.randn(n, k, device="cuda") * 0.5).to(torch.float8_e4m3fn) for _ in range(copies_for(k * n))]
        sb = torch.rand(n // 128 if n % 128 == 0 else n // 128 + 1, k // 128 if k % 128 == 0 else k // 128 + 1,
                        device="cuda", dtype=torch.float32) + 0.5
        for m in [1, 16, 64, 256, 1024, 4096, 16384]:
            mp = max(m, 16)
            x = (torch.randn(mp, k, device="cuda") * 0.5).to(torch.float8_e4m3fn)
            sa = torch.rand(mp, (k + 127) // 128, device="cuda", dtype=torch.float32) + 0.5
            try:
                s = timed_graph([(lambda w=w: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one,
                                                               out_dtype=torch.bfloat16)) for w in ws])
                emit("gemm_fp8", f"{label}_pertensor", mp, k, n, "", s, 2.0 * mp * k * n, k * n + mp * k + 2 * mp * n)
            except Exception as e:  # noqa: BLE001
                print(f"fp8 per-tensor {label} m={mp}: {type(e).__name__}: {str(e)[:160]}")
            done = False
            for variant, a_scale, b_scale in [("a_outer", sa.t().contiguous().t(), sb.t()),
                                              ("a_rowmajor", sa, sb.t()),
                                              ("b_plain", sa.t().contiguous().t(), sb)]:
                try:
                    s = timed_graph([(lambda w=w: torch._scaled_mm(x, w.t(), scale_a=a_scale, scale_b=b_scale,
                                                                   out_dtype=torch.bfloat16)) for w in ws])
                    emit("gemm_fp8_block", label, mp, k, n, f"1x128 x 128x128;{variant}", s, 2.0 * mp * k * n,
                         k * n + mp * k + 2 * mp * n)
                    done = True
                    break
                except Exception as e:  # noqa: BLE001
                    err = f"{type(e).__name__}: {str(e)[:200]}"
            if not done:
                print(f"fp8 blockwise {label} m={mp}: {err}")
            del x
        del ws
        torch.cuda.empty_cache()


def mla_prefill_tests():
    """DeepSeek-V3's prefill attention as MLA runs it uncompressed (16 heads per GPU at TP8; query/key head dim 192
    = 128 + 64 rotary, value head dim 128): causal self-attention of L-token prompts, per SDPA backend, and the
    same with the value padded to 192 (what kernels that need equal head dims run). m = batch, k = L,
    n = query/key head dim; FLOPs = 2 x (192 + 128) per attended (query, key) pair and head (causal: half)."""
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    h = 16
    for L in [2048, 8192, 32768]:
        q = torch.randn(1, h, L, 192, device="cuda", dtype=torch.bfloat16)
        k = torch.randn_like(q)
        v = torch.randn(1, h, L, 128, device="cuda", dtype=torch.bfloat16)
        vp = torch.nn.functional.pad(v, (0, 64))
        pairs = h * L * (L + 1) / 2
        for name, backend in [("cudnn", SDPBackend.CUDNN_ATTENTION), ("flash", SDPBackend.FLASH_ATTENTION),
                              ("efficient", SDPBackend.EFFICIENT_ATTENTION)]:
            for vname, vv, vd in [("v128", v, 128), ("v192pad", vp, 192)]:
                try:
                    with sdpa_kernel(backend):
                        s_ = timed_graph([lambda vv=vv: F.scaled_dot_product_attention(q, k, vv, is_causal=True)],
                                         reps_target=3)
                    emit("attn_prefill_bf16", f"mla_h16_qk192_{vname}", 1, L, 192, f"causal;{name}", s_,
                         2.0 * (192 + 128) * pairs, 2 * h * L * (192 * 2 + vd) * 2)
                except Exception as e:  # noqa: BLE001
                    print(f"mla prefill {name} {vname} L={L}: {type(e).__name__}: {str(e)[:100]}")
        del q, k, v, vp
        torch.cuda.empty_cache()


def main():
    global ONLY_SHAPES
    global OUT_PATH
    out_path = OUT_PATH = sys.argv[1] if len(sys.argv) > 1 else "gpu_microbench.csv"
    ONLY_SHAPES = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    props = torch.cuda.get_device_properties(0)
    print(f"device: {props.name}, {props.multi_processor_count} SMs, {props.total_memory / 2**30:.1f} GiB, "
          f"torch {torch.__version__}, cuda {torch.version.cuda}", flush=True)
    t0 = time.time()
    sections = (stream_tests, gemm_tests, gemm_fp8_tests, moe_tests, grouped_tests, grouped_fp8_tests, attention_tests,
                prefill_batch_tests, decode_heads_tests, elementwise_tests, grouped_slice_tests, narrow_k_tests,
                prefix_prefill_tests, prefix_flash_tests, attention_backend_tests, decode_chain_tests,
                moe_decode_chain_tests, block_fp8_tests, mla_prefill_tests)
    only = sys.argv[2].split(",") if len(sys.argv) > 2 else None  # e.g. "gemm_tests,gemm_fp8_tests"
    for section in sections:
        if only and section.__name__ not in only:
            continue
        try:
            section()
        except Exception as e:  # noqa: BLE001 - one failing section must not lose the others
            print(f"section {section.__name__} failed: {type(e).__name__}: {str(e)[:200]}", flush=True)
        torch.cuda.empty_cache()
        with open(out_path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["device", "torch", "kind", "label", "m", "k", "n", "extra",
                                              "time_us", "tflops", "gb_s"])
            w.writeheader()
            for r in ROWS:
                w.writerow(dict(device=props.name, torch=torch.__version__, **r))
    print(f"done in {time.time() - t0:.0f} s, {len(ROWS)} rows -> {out_path}")


if __name__ == "__main__":
    main()
