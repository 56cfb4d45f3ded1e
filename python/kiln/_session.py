"""kiln.InferenceSession: a compiled model library run with ONNX Runtime's
calling convention, through the library's C API (runtime/kiln_runtime.h)."""
import ctypes
import json
import os

import numpy as np

from . import _native

try:  # bfloat16 as a numpy dtype, when the ml_dtypes package is installed.
    from ml_dtypes import bfloat16 as _bfloat16
except ImportError:  # pragma: no cover - depends on the environment
    _bfloat16 = None

# kiln_dtype codes (kiln_runtime.h; ONNX's TensorProto.DataType numbers),
# numpy dtypes and ONNX Runtime's type strings.
_FLOAT32, _UINT8, _INT8, _INT32, _INT64 = 1, 2, 3, 6, 7
_BOOL, _FLOAT16, _FLOAT64, _BFLOAT16 = 9, 10, 11, 16
# kiln_status codes that mean the caller's input was wrong.
_ERROR_INVALID_ARGUMENT, _ERROR_NOT_FOUND = 1, 2
_NUMPY = {_FLOAT32: np.float32, _UINT8: np.uint8, _INT8: np.int8,
          _INT32: np.int32, _INT64: np.int64, _BOOL: np.bool_,
          _FLOAT16: np.float16, _FLOAT64: np.float64}
_CODES = {"float32": _FLOAT32, "uint8": _UINT8, "int8": _INT8,
          "int32": _INT32, "int64": _INT64, "bool": _BOOL,
          "float16": _FLOAT16, "float64": _FLOAT64, "bfloat16": _BFLOAT16}
_ORT_TYPES = {_FLOAT32: "tensor(float)", _UINT8: "tensor(uint8)",
              _INT8: "tensor(int8)", _INT32: "tensor(int32)",
              _INT64: "tensor(int64)", _BOOL: "tensor(bool)",
              _FLOAT16: "tensor(float16)", _FLOAT64: "tensor(double)",
              _BFLOAT16: "tensor(bfloat16)"}


class KilnError(RuntimeError):
    """A model library refused to load or run; the message is the
    runtime's (kiln_last_error)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class InvalidArgument(KilnError, ValueError):
    """A feed that does not fit the model: an unknown or missing input, a
    wrong dtype, rank or size."""


class NodeArg:
    """An input or output of a model, as ONNX Runtime describes it: `name`,
    `shape` (ints for static dims, symbolic names as strings), `type`
    ("tensor(float)", ...). kiln adds `range`: for integer inputs that index
    a table (token ids), the valid values [lo, hi); else None."""

    def __init__(self, name, shape, dtype, range=None):
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.range = range
        self.type = _ORT_TYPES.get(dtype, "tensor(unknown)")

    def __repr__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, " \
               f"shape={self.shape!r})"


def bfloat16_to_float32(bits):
    """uint16 bfloat16 bit patterns to float32 (exact)."""
    bits = np.asarray(bits, dtype=np.uint16)
    return (bits.astype(np.uint32) << 16).view(np.float32)


def float32_to_bfloat16(values):
    """float32 to uint16 bfloat16 bit patterns, rounded to nearest even
    (NaNs stay NaNs)."""
    x = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = (x + 0x7FFF + ((x >> 16) & 1)) >> 16
    nan = (x & 0x7FFFFFFF) > 0x7F800000
    return np.where(nan, (x >> 16) | 0x40, rounded).astype(np.uint16)


class _TensorOwner:
    """Frees a runtime tensor when the last numpy array over it goes."""

    def __init__(self, lib, tensor):
        self._lib, self._tensor = lib, tensor

    def __del__(self):
        self._lib.kiln_tensor_free(self._tensor)


class InferenceSession:
    """A compiled model library (`kiln.compile(..., "model.so")`), loaded
    once and run any number of times, from any number of threads at once:

        session = kiln.InferenceSession("model.so")
        [logits] = session.run(None, {"input_ids": ids})

    threads: threads per run (None: all cores, or $KILN_NUM_THREADS).
    weights: the weights file (default: the library's path + ".weights").
    """

    def __init__(self, path, threads=None, weights=None):
        self._lib = None
        self._handle = None
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"kiln: no model library at '{path}'")
        # Each session loads its library once; dlopen shares one copy
        # between sessions of the same file.
        lib = ctypes.CDLL(os.path.abspath(path), mode=ctypes.RTLD_LOCAL)
        _declare(lib)
        self._lib = lib
        handle = ctypes.c_void_p()
        self._check(lib.kiln_model_load(
            os.fsencode(weights) if weights else None, ctypes.byref(handle)))
        self._handle = handle
        signature = json.loads(lib.kiln_model_signature_json(handle))
        self._inputs = [self._node_arg(s) for s in signature["inputs"]]
        self._outputs = [self._node_arg(s) for s in signature["outputs"]]
        self._ranges = {s["name"]: tuple(s["range"])
                        for s in signature["inputs"] if "range" in s}
        if threads is not None:
            self._check(lib.kiln_model_set_num_threads(handle, int(threads)))

    @staticmethod
    def _node_arg(spec):
        shape = [d if isinstance(d, int) else str(d) for d in spec["shape"]]
        return NodeArg(spec["name"], shape, _CODES[spec["dtype"]],
                       tuple(spec["range"]) if "range" in spec else None)

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    @property
    def context_limit(self):
        """A decoder's largest context (tokens), or None for a model
        without a KV cache."""
        limit = ctypes.c_int64()
        if self._lib.kiln_model_has_cache(self._handle, ctypes.byref(limit)):
            return limit.value
        return None

    def create_cache(self, batch=1, max_context=None):
        """A KV cache for a decoder library (kiln_cache_create): `batch`
        sequences of at most `max_context` tokens (default: the model's
        context limit), allocated once; pass it to run(..., cache=)."""
        if max_context is None:
            max_context = self.context_limit or 0
        return KVCache(self, batch, max_context)

    def run(self, output_names, input_feed, run_options=None, cache=None,
            first_sequence=0):
        """Runs the model on `input_feed` ({name: array}) and returns the
        outputs named in `output_names` (None: all, in order) as numpy
        arrays. C-contiguous inputs of the model's dtype are passed without
        a copy; the model runs with the GIL released.
        A decoder runs on `cache` (create_cache): input_ids [batch, S]
        appends S tokens to sequences [first_sequence, first_sequence +
        batch) and returns the logits of each one's last new token."""
        if not isinstance(input_feed, dict):
            raise TypeError("input_feed must be a dict of {name: array}")
        by_name = {a.name: a for a in self._inputs}
        unknown = [n for n in input_feed if n not in by_name]
        if unknown:
            raise InvalidArgument(
                f"unknown input '{unknown[0]}'; the model's inputs are "
                + ", ".join(f"'{a.name}'" for a in self._inputs))
        missing = [a.name for a in self._inputs if a.name not in input_feed]
        if missing:
            raise InvalidArgument(f"missing input '{missing[0]}'")
        outputs = self._outputs
        if output_names is not None:
            names = {a.name: i for i, a in enumerate(outputs)}
            for n in output_names:
                if n not in names:
                    raise InvalidArgument(
                        f"unknown output '{n}'; the model's outputs are "
                        + ", ".join(f"'{a.name}'" for a in outputs))
        lib = self._lib
        arrays = [self._prepare(by_name[a.name], input_feed[a.name])
                  for a in self._inputs]
        tensors = []
        try:
            for arg, array in zip(self._inputs, arrays):
                tensor = ctypes.c_void_p()
                dims = (ctypes.c_int64 * max(array.ndim, 1))(*array.shape)
                self._check(lib.kiln_tensor_wrap(
                    arg.dtype, dims, array.ndim, array.ctypes.data,
                    ctypes.byref(tensor)))
                tensors.append(tensor)
            n_out = len(outputs)
            outs = (ctypes.c_void_p * n_out)()
            c_names = (ctypes.c_char_p * len(arrays))(
                *[a.name.encode() for a in self._inputs])
            c_tensors = (ctypes.c_void_p * len(tensors))(
                *[t.value for t in tensors])
            # ctypes releases the GIL for the call.
            if cache is not None:
                if cache._session is not self:
                    raise InvalidArgument(
                        "the cache was created by another session")
                self._check(lib.kiln_model_run_cached(
                    self._handle, cache._handle, int(first_sequence),
                    c_names, c_tensors, len(tensors), outs, n_out))
            else:
                self._check(lib.kiln_model_run(self._handle, c_names,
                                               c_tensors, len(tensors), outs,
                                               n_out))
        finally:
            for t in tensors:
                lib.kiln_tensor_free(t)
        results = {}
        for arg, out in zip(outputs, outs):
            results[arg.name] = self._take(out)
        if output_names is None:
            return [results[a.name] for a in outputs]
        return [results[n] for n in output_names]

    def _prepare(self, arg, value):
        """The array passed for input `arg`: `value` itself when it is
        C-contiguous and of the model's dtype; bf16 inputs also take float32
        (rounded)."""
        array = np.asarray(value)
        if arg.dtype == _BFLOAT16:
            if _bfloat16 is not None and array.dtype == _bfloat16:
                array = array.view(np.uint16)
            elif array.dtype in (np.float32, np.float64):
                array = float32_to_bfloat16(array)
            elif array.dtype != np.uint16:
                raise self._wrong_dtype(arg, array)
        elif array.dtype != _NUMPY[arg.dtype]:
            raise self._wrong_dtype(arg, array)
        if array.ndim != len(arg.shape):
            raise InvalidArgument(
                f"input '{arg.name}' has rank {array.ndim}; the model takes "
                f"rank {len(arg.shape)} (shape {arg.shape})")
        for axis, (got, want) in enumerate(zip(array.shape, arg.shape)):
            if isinstance(want, int) and got != want:
                raise InvalidArgument(
                    f"input '{arg.name}' has size {got} in dim {axis}; the "
                    f"model takes {want} (shape {arg.shape})")
        # np.require keeps 0-d arrays 0-d (np.ascontiguousarray does not).
        return np.require(array, requirements="C")

    @staticmethod
    def _wrong_dtype(arg, array):
        return InvalidArgument(
            f"input '{arg.name}' has dtype {array.dtype}; the model takes "
            f"{arg.type}")

    def _take(self, tensor):
        """An output tensor as a numpy array over its own buffer (no copy):
        the tensor is freed when the array (and every view of it) is
        gone."""
        lib = self._lib
        owner = _TensorOwner(lib, tensor)
        rank = lib.kiln_tensor_rank(tensor)
        dims = lib.kiln_tensor_dims(tensor)
        shape = tuple(dims[d] for d in range(rank))
        code = lib.kiln_tensor_dtype(tensor)
        storage = np.uint16 if code == _BFLOAT16 else _NUMPY[code]
        count = int(np.prod(shape)) if shape else 1
        size = count * np.dtype(storage).itemsize
        if size:
            buf = (ctypes.c_char * size).from_address(
                lib.kiln_tensor_data(tensor))
            buf._kiln_owner = owner  # keeps the tensor while numpy uses buf
            array = np.frombuffer(buf, dtype=storage).reshape(shape)
        else:
            array = np.zeros(shape, storage)
        if code == _BFLOAT16:
            array = (array.view(_bfloat16) if _bfloat16 is not None
                     else bfloat16_to_float32(array))
        return array

    def _check(self, status):
        if status != 0:
            message = self._lib.kiln_last_error().decode(errors="replace")
            error = (InvalidArgument
                     if status in (_ERROR_INVALID_ARGUMENT, _ERROR_NOT_FOUND)
                     else KilnError)
            raise error(message, status)

    def __del__(self):
        if getattr(self, "_handle", None) is not None and self._lib:
            self._lib.kiln_model_free(self._handle)
            self._handle = None


class KVCache:
    """A decoder's KV cache, owned by the runtime (kiln_cache_create):
    buffers for `batch` sequences of up to `capacity` tokens, appended to in
    place by each InferenceSession.run(..., cache=self)."""

    def __init__(self, session, batch, max_context):
        self._session = session  # the model outlives its caches
        self._handle = None
        handle = ctypes.c_void_p()
        session._check(session._lib.kiln_cache_create(
            session._handle, int(batch), int(max_context),
            ctypes.byref(handle)))
        self._handle = handle

    @property
    def batch(self):
        return self._session._lib.kiln_cache_batch(self._handle)

    @property
    def capacity(self):
        return self._session._lib.kiln_cache_capacity(self._handle)

    @property
    def lengths(self):
        """Tokens each sequence holds."""
        lib = self._session._lib
        return [lib.kiln_cache_length(self._handle, s)
                for s in range(self.batch)]

    def truncate(self, sequence, length=0):
        """Shortens sequence `sequence` to `length` tokens (0: empty)."""
        self._session._check(self._session._lib.kiln_cache_truncate(
            self._handle, int(sequence), int(length)))

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            self._session._lib.kiln_cache_free(self._handle)
            self._handle = None


def _declare(lib):
    p, s, i64p = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64)
    _native.declare(lib, [
        ("kiln_last_error", ctypes.c_char_p, []),
        ("kiln_model_load", ctypes.c_int, [ctypes.c_char_p,
                                           ctypes.POINTER(p)]),
        ("kiln_model_signature_json", ctypes.c_char_p, [p]),
        ("kiln_model_set_num_threads", ctypes.c_int, [p, ctypes.c_int]),
        ("kiln_model_free", None, [p]),
        ("kiln_tensor_wrap", ctypes.c_int, [ctypes.c_int, i64p, s, p,
                                            ctypes.POINTER(p)]),
        ("kiln_tensor_rank", s, [p]),
        ("kiln_tensor_dims", i64p, [p]),
        ("kiln_tensor_dtype", ctypes.c_int, [p]),
        ("kiln_tensor_data", p, [p]),
        ("kiln_tensor_free", None, [p]),
        ("kiln_model_run", ctypes.c_int, [p, ctypes.POINTER(ctypes.c_char_p),
                                          ctypes.POINTER(p), s,
                                          ctypes.POINTER(p), s]),
        ("kiln_model_has_cache", ctypes.c_int, [p, i64p]),
        ("kiln_cache_create", ctypes.c_int, [p, s, s, ctypes.POINTER(p)]),
        ("kiln_cache_free", None, [p]),
        ("kiln_cache_batch", s, [p]),
        ("kiln_cache_capacity", s, [p]),
        ("kiln_cache_length", s, [p, s]),
        ("kiln_cache_truncate", ctypes.c_int, [p, s, s]),
        ("kiln_model_run_cached", ctypes.c_int,
         [p, p, s, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(p), s,
          ctypes.POINTER(p), s]),
    ])
