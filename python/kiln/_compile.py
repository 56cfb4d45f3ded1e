"""kiln.compile: a model in, a model library out, in process through the
compiler library (compiler/kiln_compiler.h)."""
import ctypes
import os

from . import _native


class Diagnostic:
    """One problem (or note) the compiler reported."""

    def __init__(self, severity, location, node, message, text):
        self.severity = severity  # "error", "warning", "note" or "remark"
        self.location = location  # the model file, "kiln", or ""
        self.node = node          # the model's node it concerns, or ""
        self.message = message
        self.text = text          # the line `kiln compile` prints

    def __repr__(self):
        return f"Diagnostic({self.text.strip()!r})"

    def __str__(self):
        return self.text.rstrip("\n")


class CompileError(Exception):
    """The model did not compile; `diagnostics` says why."""

    def __init__(self, diagnostics):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__("\n".join(str(d) for d in (errors or diagnostics))
                         or "kiln: compilation failed")


_EMIT = ("import", "tfm", "linalg", "ptx", "llvm", "obj", "so")


def compile(model, output, *, target=None, precision=None, shapes=None,
            mcpu=None, mattr=None, emit="so", opt_level=None, fusion=True,
            linear_attention=True, kv_cache=True, dequantize=False,
            gpu_arch=None, gpu_emulate=False, cuda_path=None,
            frontend=None, quantize=None, group_size=None,
            outlier_threshold=None, calibration=None, smoothquant_alpha=None,
            quantize_softmax=None, softmax_bits=None,
            record_activation_ranges=False, jobs=None):
    """Compiles `model` into `output` (with --emit=so, the default, also
    `output`.weights) and returns the list of warnings and notes.

    model: a path (.onnx, .onnxtxt, .mlir, or a Hugging Face checkpoint
        folder) or an onnx.ModelProto.
    target: None (this machine's CPU), an x86_64 triple, or "cuda".
    precision: "fp32" (default), or with target="cuda" "bf16" / "fp16".
    shapes: {input name: shape} to specialise inputs to static shapes
        (None or "?" entries keep a dim dynamic), or "NAME=D0xD1" strings.
    mcpu, mattr: the CPU and extra features (default: the host's).
    emit: the stage to write ("import", "tfm", "linalg", "ptx", "llvm",
        "obj", "so"). Raises CompileError with the diagnostics on failure.
    quantize: None, or a scheme ("w8a8", "llm-int8", "smoothquant",
        "w8a8-static", "w8", "w4"), with group_size (w8/w4, default 32),
        outlier_threshold (llm-int8, default 6.0), smoothquant_alpha
        (smoothquant, default 0.5) and calibration (smoothquant and
        w8a8-static: the file kiln.calibrate or `kiln calibrate` wrote; w8
        and w4 read it when given, for AWQ's scaling), as
        `kiln compile --quantize` (README.md).
    quantize_softmax: None, "log2" or "uniform", with softmax_bits (4 or 8):
        round the attention probabilities (`kiln compile
        --quantize-softmax`).
    linear_attention: rewrite linear attention / retention exported in its
        quadratic form to the chunked O(T) kernel (False: `kiln compile
        --no-linear-attention`).
    kv_cache: decoder checkpoints (LLaMA family) in the KV-cache form
        kiln.generate runs (False: the prefill form, every position's
        logits; `kiln compile --no-kv-cache`).
    dequantize: GGUF files' Q8_0/Q4_0/Q4_1 tensors to float32 instead of
        the weight-only int8/int4 kernels (`kiln compile --dequantize`).
    jobs: threads for LLVM's optimization and code generation (None or 0:
        one per hardware thread for large models; `kiln compile --jobs`).
    record_activation_ranges: build the recording library kiln.calibrate
        runs instead (extra outputs "calibration:I:min|max:NODE").
    """
    if emit not in _EMIT:
        raise ValueError(f"emit={emit!r} is not one of {', '.join(_EMIT)}")
    settings = [("output", os.fspath(output)), ("emit", emit),
                ("fusion", "1" if fusion else "0"),
                ("linear-attention", "1" if linear_attention else "0"),
                ("kv-cache", "1" if kv_cache else "0"),
                ("dequantize", "1" if dequantize else "0"),
                ("gpu-emulate", "1" if gpu_emulate else "0"),
                ("record-activation-ranges",
                 "1" if record_activation_ranges else "0")]
    for name, value in [("target", target), ("precision", precision),
                        ("mcpu", mcpu), ("mattr", mattr),
                        ("gpu-arch", gpu_arch), ("cuda-path", cuda_path),
                        ("frontend", frontend), ("quantize", quantize),
                        ("group-size", group_size),
                        ("outlier-threshold", outlier_threshold),
                        ("calibration", calibration and os.fspath(calibration)),
                        ("smoothquant-alpha", smoothquant_alpha),
                        ("quantize-softmax", quantize_softmax),
                        ("softmax-bits", softmax_bits), ("jobs", jobs)]:
        if value is not None:
            settings.append((name, str(value)))
    if opt_level is not None:
        settings.append(("O", str(int(opt_level))))
    for spec in _shape_specs(shapes):
        settings.append(("shape", spec))

    contents = None
    if isinstance(model, (str, bytes, os.PathLike)):
        settings.append(("input", os.fsdecode(model)))
    elif hasattr(model, "SerializeToString"):
        # An onnx.ModelProto: compiled from memory, named after its graph.
        contents = model.SerializeToString()
        name = (getattr(model.graph, "name", "") or "model") + ".onnx"
        settings.append(("input", name))
    else:
        raise TypeError("model must be a path or an onnx.ModelProto, not "
                        f"{type(model).__name__}")

    lib = _native.compiler()
    options = lib.kiln_compile_options_create()
    if not options:
        raise MemoryError("kiln_compile_options_create")
    try:
        for name, value in settings:
            error = lib.kiln_compile_options_set(options, name.encode(),
                                                 value.encode())
            if error:
                raise ValueError(error.decode())
        if contents is not None:
            lib.kiln_compile_options_set_contents(options, contents,
                                                  len(contents))
        # ctypes releases the GIL for the call: other threads run on.
        result = lib.kiln_compile(options)
    finally:
        lib.kiln_compile_options_free(options)
    if not result:
        raise MemoryError("kiln_compile")
    try:
        diagnostics = [_diagnostic(lib, result, i) for i in
                       range(lib.kiln_compile_result_num_diagnostics(result))]
        ok = lib.kiln_compile_result_succeeded(result)
    finally:
        lib.kiln_compile_result_free(result)
    if not ok:
        raise CompileError(diagnostics)
    return diagnostics


def _diagnostic(lib, result, i):
    part = lambda p: lib.kiln_compile_result_diagnostic(
        result, i, p.encode()).decode(errors="replace")
    return Diagnostic(part("severity"), part("location"), part("node"),
                      part("message"), part("text"))


def _shape_specs(shapes):
    if shapes is None:
        return []
    if isinstance(shapes, dict):
        specs = []
        for name, dims in shapes.items():
            dims = "x".join("?" if d is None or d == "?" else str(int(d))
                            for d in dims)
            specs.append(f"{name}={dims}")
        return specs
    return [str(s) for s in shapes]
