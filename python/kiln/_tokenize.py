"""kiln.Tokenizer, kiln.embed and kiln.generate: kiln's own tokenizers
(tokenizers/ in C++, through libkiln_compiler.so), sentence embeddings from
a library compiled from a sentence-transformers checkpoint folder, and text
from a decoder library, as `kiln embed` and `kiln generate` compute them."""
import ctypes
import os
import time

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

    def decode(self, ids, skip_special_tokens=True):
        """The UTF-8 bytes `ids` stand for (bytes: byte-level BPE tokens may
        hold part of a character)."""
        arr = (ctypes.c_int * len(ids))(*ids)
        n = self._lib.kiln_tokenizer_decode(
            self._handle, arr, len(ids), int(skip_special_tokens), None, 0)
        out = ctypes.create_string_buffer(n)
        self._lib.kiln_tokenizer_decode(self._handle, arr, len(ids),
                                        int(skip_special_tokens), out, n)
        return out.raw[:n]

    def find(self, token):
        """The id of token string `token`, or None."""
        i = self._lib.kiln_tokenizer_find(self._handle, token.encode("utf-8"))
        return None if i < 0 else i

    def chat(self, config_path, prompt=None, system=None, chat=True):
        """(text, stop ids): `prompt` as the user's turn in the ChatML chat
        template of tokenizer_config.json `config_path` (text None when
        `prompt` is None), and the ids that end generation. Raises
        ValueError when the template cannot be rendered."""
        text = ctypes.c_void_p()
        stops = (ctypes.c_int * 8)()
        n = ctypes.c_size_t()
        error = self._lib.kiln_chat_render(
            os.fsencode(config_path), self._handle,
            None if prompt is None else prompt.encode("utf-8"),
            system.encode("utf-8") if system else None, int(chat),
            ctypes.byref(text), stops, 8, ctypes.byref(n))
        if error:
            message = ctypes.string_at(error).decode("utf-8", "replace")
            self._lib.kiln_string_free(error)
            raise ValueError(message)
        rendered = ctypes.string_at(text.value).decode("utf-8")
        self._lib.kiln_string_free(text)
        return (rendered if prompt is not None else None,
                list(stops)[:min(n.value, 8)])

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


def _sample(logits, temperature, top_k, top_p, rng):
    """`kiln generate`'s sampling: argmax at temperature 0, else softmax at
    `temperature` over the top_k most likely (0: all), cut to the smallest
    set whose probability reaches top_p."""
    if temperature <= 0:
        return int(np.argmax(logits))
    order = np.argsort(-logits, kind="stable")
    if top_k > 0:
        order = order[:top_k]
    p = np.exp((logits[order] - logits[order[0]]) / temperature)
    p /= p.sum()
    keep = int(np.searchsorted(np.cumsum(p), top_p) + 1)
    order, p = order[:keep], p[:keep]
    return int(rng.choice(order, p=p / p.sum()))


def generate(library, prompt, chat=False, system=None, max_tokens=64,
             temperature=0.0, top_k=0, top_p=1.0, seed=0, threads=None,
             max_context=None, tokenizer=None, stream=None):
    """Text from a decoder library (a LLaMA-family checkpoint or GGUF file
    compiled with its KV cache), as `kiln generate` writes it: `prompt`
    tokenized by kiln (in the chat template as the user's turn when
    `chat`), one prefill run, then one decode run per token on the
    runtime's KV cache, sampled greedily (temperature 0) or with
    temperature / top_k / top_p from a generator seeded by `seed`, until
    `max_tokens` or an end token. `stream`: called with each new piece of
    text (str) as it comes. Returns a dict: text, prompt_ids, ids (the
    generated ones), prompt_tokens_per_s, decode_tokens_per_s."""
    if not isinstance(tokenizer, Tokenizer):
        tokenizer = Tokenizer(tokenizer or library + ".tokenizer.json")
    config = library + ".tokenizer_config.json"
    stops = []
    if chat or os.path.exists(config):
        text, stops = tokenizer.chat(config, prompt if chat else None,
                                     system, chat)
        if chat:
            prompt = text
    # A chat template writes its own BOS; a plain prompt gets the
    # tokenizer's special tokens, as transformers' tokenizer() adds them.
    ids = tokenizer.encode(prompt, add_special_tokens=not chat)
    if not ids:
        raise ValueError("kiln.generate: the prompt has no tokens")
    session = InferenceSession(library, threads=threads)
    limit = session.context_limit
    if limit is None:
        raise ValueError("kiln.generate: '%s' is not a decoder library with "
                         "a KV cache" % library)
    context = max_context or min(limit, len(ids) + max_tokens)
    cache = session.create_cache(1, context)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    logits = session.run(None, {"input_ids": np.array([ids], np.int64)},
                         cache=cache)[0][0]
    prefill = time.perf_counter() - start
    out, pending, decode, runs = [], b"", 0.0, 0
    text = ""
    while True:
        token = _sample(logits, temperature, top_k, top_p, rng)
        if token in stops:
            break
        out.append(token)
        pending += tokenizer.decode([token])
        try:  # hold back a character cut between tokens
            piece, pending = pending.decode("utf-8"), b""
        except UnicodeDecodeError:
            piece = ""
        text += piece
        if stream and piece:
            stream(piece)
        if len(out) >= max_tokens or len(ids) + len(out) >= context:
            break
        step = time.perf_counter()
        logits = session.run(None, {"input_ids": np.array([[token]],
                                                          np.int64)},
                             cache=cache)[0][0]
        decode += time.perf_counter() - step
        runs += 1
    text += pending.decode("utf-8", "replace")
    return {"text": text, "prompt_ids": ids, "ids": out,
            "prompt_tokens_per_s": len(ids) / prefill,
            "decode_tokens_per_s": runs / decode if runs else 0.0}
