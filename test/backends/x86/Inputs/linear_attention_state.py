"""tfm.linear_attention with its state, through a model library built from
tfm IR (the mlir frontend): prefill T tokens from a zero state, then decode
16 tokens one at a time carrying the state; the outputs equal one run over
all T + 16 tokens and NumPy's quadratic form of RetNet retention (float64)
within 1e-4 of scale. Prints one line per check.

Usage: linear_attention_state.py OUT_DIR [--gpu-emulate]
(--gpu-emulate: built for CUDA, its GPU kernel run on the CPU.)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402

H, D = 2, 16
LOG_DECAY = [np.log(1 - 2.0 ** (-5 - h)) for h in range(H)]
IR = """func.func @main_graph(%q: tensor<?x{h}x?x{d}xf32>, %k: tensor<?x{h}x?x{d}xf32>, %v: tensor<?x{h}x?x{d}xf32>, %s: tensor<?x{h}x{d1}x{d1}xf32>) -> (tensor<?x{h}x?x{d}xf32>, tensor<?x{h}x{d1}x{d1}xf32>) {{
  %o, %n = tfm.linear_attention %q, %k, %v state %s decay constant normalization retnet {{causal, log_decay = array<f32: {ld}>, scale = 0.25 : f32}} : (tensor<?x{h}x?x{d}xf32>, tensor<?x{h}x?x{d}xf32>, tensor<?x{h}x?x{d}xf32>, tensor<?x{h}x{d1}x{d1}xf32>) -> (tensor<?x{h}x?x{d}xf32>, tensor<?x{h}x{d1}x{d1}xf32>)
  return %o, %n : tensor<?x{h}x?x{d}xf32>, tensor<?x{h}x{d1}x{d1}xf32>
}}
"""


def retention(q, k, v):
    """RetNet's parallel form (torchscale), float64."""
    t = q.shape[2]
    i = np.arange(t)[:, None]
    j = np.arange(t)[None, :]
    out = np.zeros(q.shape[:3] + (v.shape[3],))
    for h, g in enumerate(LOG_DECAY):
        mask = np.where(j <= i, np.exp(g * (i - j)), 0.0)
        mask = mask / np.sqrt(mask.sum(-1, keepdims=True))
        a = (q[:, h] @ k[:, h].transpose(0, 2, 1)) * 0.25 * mask
        a = a / np.maximum(np.abs(a.sum(-1, keepdims=True)), 1)
        out[:, h] = a @ v[:, h]
    return out


def main():
    out = sys.argv[1]
    ir = os.path.join(out, "retention.mlir")
    with open(ir, "w") as f:
        f.write(IR.format(h=H, d=D, d1=D + 1,
                          ld=", ".join("%.9g" % g for g in LOG_DECAY)))
    lib = os.path.join(out, "retention.so")
    if "--gpu-emulate" in sys.argv[2:]:
        kiln.compile(ir, lib, target="cuda", gpu_emulate=True)
    else:
        kiln.compile(ir, lib)
    s = kiln.InferenceSession(lib)
    rng = np.random.default_rng(3)
    b, prefix, steps = 2, 65, 16
    q, k, v = (rng.standard_normal((b, H, prefix + steps, D)).astype(
        np.float32) for _ in range(3))
    zero = np.zeros((b, H, D + 1, D + 1), np.float32)
    whole, _ = s.run(None, {"input0": q, "input1": k, "input2": v,
                            "input3": zero})
    parts = []
    o, state = s.run(None, {"input0": q[:, :, :prefix],
                            "input1": k[:, :, :prefix],
                            "input2": v[:, :, :prefix], "input3": zero})
    parts.append(o)
    for t in range(prefix, prefix + steps):
        o, state = s.run(None, {"input0": q[:, :, t:t + 1],
                                "input1": k[:, :, t:t + 1],
                                "input2": v[:, :, t:t + 1],
                                "input3": state})
        parts.append(o)
    stepped = np.concatenate(parts, axis=2)
    ref = retention(q.astype(np.float64), k.astype(np.float64),
                    v.astype(np.float64))
    for name, got, want in (("whole vs NumPy", whole, ref),
                            ("prefill + decode vs whole", stepped, whole)):
        err = float(np.abs(got - want).max() / np.abs(want).max())
        print("%s: %s (%.2e of scale)"
              % (name, "match" if err <= 1e-4 else "MISMATCH", err))


if __name__ == "__main__":
    main()
