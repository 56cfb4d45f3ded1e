#!/usr/bin/python3
"""Export tiny random-weight linear-attention modules to ONNX, in the
quadratic ("parallel") form their papers' reference code computes, for
tfm-rewrite-linear-attention's tests and benchmark.

Run with Debian's Python (python3-torch 1.13):

    /usr/bin/python3 scripts/export_linear_attention.py --out DIR

Each module maps x [batch, seq, 32] to y [batch, seq, 32]: q, k, v
projections into 2 heads of 16, the variant's attention, an output
projection. The variants (../shared/notes/linear-attention-and-quantization.md
section A):

    retnet        multi-scale retention (torchscale's parallel form):
                  gamma_h = 1 - 2^(-5-h), the decay mask built from
                  arange(seq) (masked_fill +inf, exp, row-normalised by
                  sqrt of its sum), P / max(|rowsum P|, 1)
    retnet_torchscale
                  torchscale's MultiScaleRetention.parallel_forward as
                  written: theta_shift rotary on q and k, the RetNetRelPos
                  mask (nan_to_num), P / clamp(rowsum |P|, 1, 5e4), then
                  the per-head group norm (RMSNorm, no weight, eps 1e-6)
    lightning     TransNormer / Lightning attention: SiLU feature maps,
                  ALiBi-slope decay exp(-s_h (i - j)), no normalisation
    gla           Gated Linear Attention: vector gates
                  g = logsigmoid(x W1 W2) / 16, b = cumsum(g),
                  (q e^b)(k e^-b)^T masked causal
    katharopoulos causal linear transformer: elu + 1 feature maps,
                  (P v) / (rowsum P + 1e-6), P = (phi q phi k^T) * tril
    noncausal     elu + 1 feature maps, P / (rowsum P + 1e-6), no mask
    retnet_static, lightning_static
                  the same at a fixed seq of 64: the mask is a folded
                  initializer
    softmax_decay a near miss: the retnet mask, but with a softmax

Inputs `x` [batch, seq, 32] (dynamic batch and seq unless static); output
`y`. DIR/manifest.json lists each file with its variant and static seq.
"""

import argparse
import json
import math
import os
import sys
import warnings

DIM, HEADS, HEAD_DIM = 32, 2, 16
STATIC_SEQ = 64


def build(torch, variant):
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(DIM, HEADS * HEAD_DIM)
            self.k = nn.Linear(DIM, HEADS * HEAD_DIM)
            self.v = nn.Linear(DIM, HEADS * HEAD_DIM)
            self.o = nn.Linear(HEADS * HEAD_DIM, DIM)
            if variant == "gla":
                self.g1 = nn.Linear(DIM, 4, bias=False)
                self.g2 = nn.Linear(4, HEADS * HEAD_DIM)
            h = torch.arange(HEADS, dtype=torch.float32)
            # RetNet: log(1 - 2^(-5-h)); Lightning: ALiBi slopes 2^(-8(h+1)/H).
            self.register_buffer("retnet_decay",
                                 torch.log(1 - 2.0 ** (-5.0 - h)))
            self.register_buffer("slopes", 2.0 ** (-8.0 * (h + 1) / HEADS))

        def heads(self, t):
            b, s, _ = t.shape
            return t.view(b, s, HEADS, -1).transpose(1, 2)

        def forward(self, x):
            q, k, v = (self.heads(p(x)) for p in (self.q, self.k, self.v))
            seq = x.shape[1]
            o = getattr(self, variant.replace("_static", ""))(q, k, v, x, seq)
            b = x.shape[0]
            return self.o(o.transpose(1, 2).reshape(b, seq, HEADS * HEAD_DIM))

        def decay_mask(self, seq, log_decay):
            index = torch.arange(seq, dtype=torch.float32)
            diff = index[:, None] - index[None, :]
            keep = torch.tril(torch.ones(seq, seq)).bool()
            diff = torch.masked_fill(diff, ~keep, float("inf"))
            # log_decay < 0: exp(+inf * log_decay) = 0 above the diagonal.
            return torch.exp(diff * log_decay[:, None, None])

        def retnet(self, q, k, v, x, seq):
            mask = self.decay_mask(seq, self.retnet_decay)
            mask = mask / mask.sum(dim=-1, keepdim=True).sqrt()
            qk = (q @ k.transpose(-1, -2)) * HEAD_DIM ** -0.5
            qk = qk * mask
            qk = qk / qk.sum(dim=-1, keepdim=True).abs().clamp(min=1)
            return qk @ v

        def retnet_torchscale(self, q, k, v, x, seq):
            index = torch.arange(seq, dtype=torch.float32)
            angle = 1.0 / (10000 ** torch.linspace(0, 1, HEAD_DIM // 2))
            angle = angle.unsqueeze(-1).repeat(1, 2).flatten()
            sin = torch.sin(index[:, None] * angle[None, :])
            cos = torch.cos(index[:, None] * angle[None, :])

            def rotate_every_two(t):
                x1, x2 = t[:, :, :, ::2], t[:, :, :, 1::2]
                return torch.stack((-x2, x1), dim=-1).flatten(-2)

            k = k * HEAD_DIM ** -0.5
            qr = q * cos + rotate_every_two(q) * sin
            kr = k * cos + rotate_every_two(k) * sin
            mask = torch.nan_to_num(self.decay_mask(seq, self.retnet_decay))
            mask = mask / mask.sum(dim=-1, keepdim=True).sqrt()
            qk = (qr @ kr.transpose(-1, -2)) * mask
            qk = qk / qk.detach().abs().sum(dim=-1, keepdim=True).clamp(
                min=1, max=5e4)
            o = (qk @ v).transpose(1, 2)
            o = o * torch.rsqrt(o.pow(2).mean(-1, keepdim=True) + 1e-6)
            return o.transpose(1, 2)

        def softmax_decay(self, q, k, v, x, seq):
            mask = self.decay_mask(seq, self.retnet_decay)
            qk = (q @ k.transpose(-1, -2)) * HEAD_DIM ** -0.5
            return torch.softmax(qk * mask, dim=-1) @ v

        def lightning(self, q, k, v, x, seq):
            mask = self.decay_mask(seq, -self.slopes)
            qk = F.silu(q) @ F.silu(k).transpose(-1, -2)
            return (qk * mask) @ v

        def gla(self, q, k, v, x, seq):
            g = F.logsigmoid(self.g2(self.g1(x))) / 16
            b = torch.cumsum(self.heads(g), dim=2)
            qg, kg = q * torch.exp(b), k * torch.exp(-b)
            a = (qg @ kg.transpose(-1, -2)) * HEAD_DIM ** -0.5
            keep = torch.tril(torch.ones(seq, seq)).bool()
            return a.masked_fill(~keep, 0.0) @ v

        def katharopoulos(self, q, k, v, x, seq):
            q, k = F.elu(q) + 1, F.elu(k) + 1
            a = (q @ k.transpose(-1, -2)) * torch.tril(torch.ones(seq, seq))
            return (a @ v) / (a.sum(dim=-1, keepdim=True) + 1e-6)

        def noncausal(self, q, k, v, x, seq):
            q, k = F.elu(q) + 1, F.elu(k) + 1
            a = q @ k.transpose(-1, -2)
            a = a / (a.sum(dim=-1, keepdim=True) + 1e-6)
            return a @ v

    return Block().eval()


VARIANTS = ["retnet", "retnet_torchscale", "lightning", "gla", "katharopoulos", "noncausal",
            "retnet_static", "lightning_static", "softmax_decay"]


def export(torch, variant, path, opset):
    torch.manual_seed(VARIANTS.index(variant))
    model = build(torch, variant)
    static = variant.endswith("_static")
    seq = STATIC_SEQ if static else 5
    x = torch.randn(2, seq, DIM)
    axes = None if static else {"x": {0: "batch", 1: "seq"},
                                "y": {0: "batch", 1: "seq"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, input_names=["x"],
                          output_names=["y"], dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True)
    return {"file": os.path.basename(path), "variant": variant,
            "static_seq": STATIC_SEQ if static else None, "opset": opset}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--variants", nargs="+", default=VARIANTS,
                   choices=VARIANTS)
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("export_linear_attention.py: needs torch (Debian's "
                 "python3-torch; run with /usr/bin/python3)")
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    files = []
    for variant in args.variants:
        path = os.path.join(args.out, variant + ".onnx")
        files.append(export(torch, variant, path, args.opset))
        print("exported", path, flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"generator": "scripts/export_linear_attention.py",
                   "torch": torch.__version__, "files": files}, f, indent=1)


if __name__ == "__main__":
    main()
