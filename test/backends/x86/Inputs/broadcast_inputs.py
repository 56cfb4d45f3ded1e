"""Writes random .npy inputs for dynamic-broadcast.onnxtxt.

Usage: broadcast_inputs.py DIR BATCH A B P Q
"""
import os
import sys

import numpy as np

out, batch, a, b, p, q = sys.argv[1], *map(int, sys.argv[2:])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
for name, shape in [("A", (batch, 8)), ("B", (8, 1)), ("C", (a, 4)),
                    ("D", (b, 4)), ("F", (p, 3)), ("G", (q, 3))]:
    np.save(os.path.join(out, name + ".npy"),
            rng.standard_normal(shape).astype(np.float32))
