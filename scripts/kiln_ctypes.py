"""Python access to a kiln model library through its C API (ctypes), for
tests and benchmarks: load, inspect the signature, run with numpy arrays.

    model = KilnModel("model.so")
    outputs = model.run({"input_ids": ids, "attention_mask": mask})
"""
import ctypes
import json

import numpy as np

_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64,
           9: np.bool_, 10: np.float16, 11: np.float64}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


class KilnError(RuntimeError):
    pass


class KilnModel:
    def __init__(self, library, weights=None):
        self.lib = ctypes.CDLL(library, mode=ctypes.RTLD_LOCAL)
        L = self.lib
        L.kiln_last_error.restype = ctypes.c_char_p
        L.kiln_model_signature_json.restype = ctypes.c_char_p
        L.kiln_model_signature_json.argtypes = [ctypes.c_void_p]
        L.kiln_tensor_wrap.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_int64),
                                       ctypes.c_size_t, ctypes.c_void_p,
                                       ctypes.POINTER(ctypes.c_void_p)]
        L.kiln_tensor_rank.restype = ctypes.c_size_t
        L.kiln_tensor_rank.argtypes = [ctypes.c_void_p]
        L.kiln_tensor_dims.restype = ctypes.POINTER(ctypes.c_int64)
        L.kiln_tensor_dims.argtypes = [ctypes.c_void_p]
        L.kiln_tensor_dtype.restype = ctypes.c_int
        L.kiln_tensor_dtype.argtypes = [ctypes.c_void_p]
        L.kiln_tensor_data.restype = ctypes.c_void_p
        L.kiln_tensor_data.argtypes = [ctypes.c_void_p]
        L.kiln_tensor_free.argtypes = [ctypes.c_void_p]
        L.kiln_model_free.argtypes = [ctypes.c_void_p]
        L.kiln_model_set_num_threads.argtypes = [ctypes.c_void_p, ctypes.c_int]
        L.kiln_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                     ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t,
                                     ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
        self.handle = ctypes.c_void_p()
        path = weights.encode() if weights else None
        self._check(L.kiln_model_load(path, ctypes.byref(self.handle)))
        self.signature = json.loads(L.kiln_model_signature_json(self.handle))

    def _check(self, status):
        if status != 0:
            raise KilnError(self.lib.kiln_last_error().decode())

    def set_num_threads(self, n):
        self._check(self.lib.kiln_model_set_num_threads(self.handle, n))

    def run(self, inputs):
        L = self.lib
        names = list(inputs)
        # np.require keeps 0-d arrays 0-d (np.ascontiguousarray makes them 1-d).
        arrays = [np.require(inputs[n], requirements="C") for n in names]
        tensors = []
        for a in arrays:
            t = ctypes.c_void_p()
            dims = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
            self._check(L.kiln_tensor_wrap(_CODES[a.dtype], dims, a.ndim,
                                           a.ctypes.data, ctypes.byref(t)))
            tensors.append(t)
        n_out = len(self.signature["outputs"])
        outs = (ctypes.c_void_p * n_out)()
        c_names = (ctypes.c_char_p * len(names))(*[n.encode() for n in names])
        c_tensors = (ctypes.c_void_p * len(tensors))(*[t.value for t in tensors])
        try:
            self._check(L.kiln_model_run(self.handle, c_names, c_tensors,
                                         len(tensors), outs, n_out))
        finally:
            for t in tensors:
                L.kiln_tensor_free(t)
        results = {}
        for i, spec in enumerate(self.signature["outputs"]):
            t = outs[i]
            rank = L.kiln_tensor_rank(t)
            shape = tuple(L.kiln_tensor_dims(t)[d] for d in range(rank))
            dtype = _DTYPES[L.kiln_tensor_dtype(t)]
            count = int(np.prod(shape)) if shape else 1
            size = count * np.dtype(dtype).itemsize
            if size:
                # One copy, out of the runtime's buffer.
                buf = (ctypes.c_char * size).from_address(L.kiln_tensor_data(t))
                arr = np.frombuffer(buf, dtype=dtype).reshape(shape).copy()
            else:
                arr = np.zeros(shape, dtype)
            results[spec["name"]] = arr
            L.kiln_tensor_free(t)
        return results

    def __del__(self):
        if getattr(self, "handle", None):
            self.lib.kiln_model_free(self.handle)
            self.handle = None
