"""Writes the inputs of Inputs/mlp.onnxtxt for a batch and sequence length.
Usage: make_inputs.py DIR BATCH SEQ"""
import sys

import numpy as np

out, batch, seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(batch * 100 + seq)
np.save(f"{out}/X.npy", rng.standard_normal((batch, seq, 8)).astype(np.float32))
np.save(f"{out}/ids.npy", rng.integers(-5, 5, (batch, seq)).astype(np.int64))
