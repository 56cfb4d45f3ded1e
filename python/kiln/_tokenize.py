"""kiln.Tokenizer and kiln.embed: kiln's own tokenizers (tokenizers/ in C++,
through libkiln_compiler.so) and sentence embeddings from a library compiled
from a sentence-transformers checkpoint folder, as `kiln embed` computes
them."""
import ctypes
import os

import numpy as np

from . import _native
from ._session import InferenceSession


class Tokenizer:
    """A Hugging Face tokenizer.json (WordPiece or byte-level BPE), or the
    one in a checkpoint folder, tokenizing as Hugging Face `tokenizers`
    does:

        tok = kiln.Tokenizer("all-MiniLM-L6-v2/tokenizer.json")
        ids = tok.encode("Hello, world!")   # [101, 7592, 1010, 2088, 999, 102]

    Raises ValueError naming the file when it cannot be read."""

    def __init__(self, path):
        if os.path.isdir(path):
            path = os.path.join(path, "tokenizer.json")
        self._lib = _native.compiler()
        self._handle = self._lib.kiln_tokenizer_load(os.fsencode(path))
        if not self._handle:
            raise MemoryError("kiln: out of memory loading a tokenizer")
        error = self._lib.kiln_tokenizer_error(self._handle)
        if error:
            message = error.decode("utf-8", "replace")
            self._lib.kiln_tokenizer_free(self._handle)
            self._handle = None
            raise ValueError(message)

    def __del__(self):
        if getattr(self, "_handle", None):
            self._lib.kiln_tokenizer_free(self._handle)

    def encode(self, text, add_special_tokens=True):
        """The token ids of `text` (a str), as a list of ints."""
        data = text.encode("utf-8")
        n = self._lib.kiln_tokenizer_encode(self._handle, data, len(data),
                                            int(add_special_tokens), None, 0)
        ids = (ctypes.c_int * n)()
        self._lib.kiln_tokenizer_encode(self._handle, data, len(data),
                                        int(add_special_tokens), ids, n)
        return list(ids)

    def add_special_tokens(self, ids):
        """`ids` inside the post-processor's special tokens."""
        arr = (ctypes.c_int * len(ids))(*ids)
        n = self._lib.kiln_tokenizer_add_special_tokens(
            self._handle, arr, len(ids), None, 0)
        out = (ctypes.c_int * n)()
        self._lib.kiln_tokenizer_add_special_tokens(self._handle, arr,
                                                    len(ids), out, n)
        return list(out)


def embed(library, texts, tokenizer=None, max_tokens=256, threads=None):
    """Sentence embeddings [len(texts), dim] (float32) of `texts` from a
    library compiled from a sentence-transformers checkpoint folder: each
    text tokenized by kiln (`tokenizer`: a path or Tokenizer; default
    LIBRARY.tokenizer.json, which compiling the folder writes), cut to
    `max_tokens` (special tokens included), all run as one padded batch,
    the library's sentence_embedding output returned. What `kiln embed`
    prints."""
    if isinstance(texts, str):
        texts = [texts]
    if not texts:
        raise ValueError("kiln.embed: no texts")
    if not isinstance(tokenizer, Tokenizer):
        tokenizer = Tokenizer(tokenizer or library + ".tokenizer.json")
    room = max(0, max_tokens - len(tokenizer.add_special_tokens([])))
    ids = [tokenizer.add_special_tokens(tokenizer.encode(t, False)[:room])
           for t in texts]
    length = max(len(i) for i in ids)
    input_ids = np.zeros((len(ids), length), np.int64)
    mask = np.zeros((len(ids), length), np.int64)
    for row, i in enumerate(ids):
        input_ids[row, :len(i)] = i
        mask[row, :len(i)] = 1
    session = InferenceSession(library, threads=threads)
    names = [o.name for o in session.get_outputs()]
    if "sentence_embedding" not in names:
        raise ValueError(
            "kiln.embed: '%s' has no sentence_embedding output: compile a "
            "sentence-transformers checkpoint folder (with "
            "1_Pooling/config.json)" % library)
    feeds = {"input_ids": input_ids, "attention_mask": mask,
             "token_type_ids": np.zeros_like(input_ids)}
    feeds = {i.name: feeds[i.name] for i in session.get_inputs()}
    return session.run(["sentence_embedding"], feeds)[0]
