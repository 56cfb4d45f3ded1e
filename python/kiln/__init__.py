"""kiln: an ahead-of-time compiler for transformer models.

    import kiln, numpy as np
    kiln.compile("model.onnx", "model.so")
    session = kiln.InferenceSession("model.so")
    print([(i.name, i.shape, i.type) for i in session.get_inputs()])
    outputs = session.run(None, {"input_ids": np.ones((1, 8), np.int64)})

kiln.compile runs kiln's compiler in process (libkiln_compiler.so);
InferenceSession runs the library it writes with ONNX Runtime's calling
convention. kiln.Tokenizer tokenizes as a Hugging Face tokenizer.json
says; kiln.embed gives sentence embeddings from a library compiled from a
sentence-transformers checkpoint folder.
"""
from ._calibrate import calibrate
from ._compile import CompileError, Diagnostic, compile
from ._session import (InferenceSession, InvalidArgument, KilnError, KVCache,
                       NodeArg, bfloat16_to_float32, float32_to_bfloat16)
from ._tokenize import Tokenizer, embed, generate

__all__ = ["calibrate", "compile", "CompileError", "Diagnostic", "embed",
           "generate",
           "InferenceSession", "KVCache", "Tokenizer",
           "InvalidArgument", "KilnError", "NodeArg", "bfloat16_to_float32",
           "float32_to_bfloat16"]
__version__ = "0.1.0"
