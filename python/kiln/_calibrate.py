"""kiln.calibrate: the Python form of `kiln calibrate`."""
import json
import os
import tempfile

import numpy as np

from ._compile import compile as _compile
from ._session import InferenceSession


def calibrate(model, samples, output, *, shapes=None, fusion=True,
              mcpu=None, mattr=None, frontend=None, threads=None):
    """Records the per-channel range of each weight matmul's input over
    `samples` (an iterable of {input name: array} dicts) and writes the
    calibration file `output` that compile(..., quantize="smoothquant",
    "w8a8-static", "w8" or "w4", calibration=output) reads. Compile the quantized model
    with the same shapes and fusion. Returns the number of matmuls
    recorded."""
    ranges = {}
    count = 0
    with tempfile.TemporaryDirectory(prefix="kiln-calibrate") as tmp:
        library = os.path.join(tmp, "recording.so")
        _compile(model, library, shapes=shapes, fusion=fusion, mcpu=mcpu,
                 mattr=mattr, frontend=frontend,
                 record_activation_ranges=True)
        session = InferenceSession(library, threads=threads)
        names = [o.name for o in session.get_outputs()]
        for feed in samples:
            for name, value in zip(names, session.run(None, feed)):
                parts = name.split(":", 3)
                if len(parts) != 4 or parts[0] != "calibration":
                    continue
                index, kind, node = int(parts[1]), parts[2], parts[3]
                entry = ranges.setdefault(index, {"name": node})
                value = np.asarray(value, np.float32)
                combine = np.minimum if kind == "min" else np.maximum
                entry[kind] = (value if kind not in entry
                               else combine(entry[kind], value))
            count += 1
        del session
    if not count:
        raise ValueError("kiln.calibrate needs at least one sample")
    if not ranges:
        raise ValueError("the model has no weight matmuls to calibrate")
    matmuls = [{"name": ranges[i]["name"],
                "min": [float(v) for v in ranges[i]["min"]],
                "max": [float(v) for v in ranges[i]["max"]]}
               for i in sorted(ranges)]
    with open(output, "w") as f:
        json.dump({"format": "kiln-calibration", "version": 1,
                   "samples": count, "matmuls": matmuls}, f)
        f.write("\n")
    return len(matmuls)
