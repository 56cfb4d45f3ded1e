"""The kiln Python package: kiln.compile in process, InferenceSession with
ONNX Runtime's calling convention, checked against onnxruntime."""
import os
import subprocess
import sys
import threading

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import kiln

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TINY_BERT = os.path.join(REPO, "models", "tiny_bert.onnx")


def feeds_for(session, batch=2, seq=7, seed=0):
    """Random inputs for tiny_bert: token ids in range, ones for masks."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for arg in session.get_inputs():
        if arg.name == "input_ids":
            feeds[arg.name] = rng.integers(0, 100, (batch, seq), np.int64)
        elif arg.name == "attention_mask":
            feeds[arg.name] = np.ones((batch, seq), np.int64)
        else:
            feeds[arg.name] = np.zeros((batch, seq), np.int64)
    return feeds


def run_onnxruntime(model_path, feeds):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_path, options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def assert_matches(ours, reference):
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference):
        assert a.shape == b.shape and a.dtype == b.dtype
        scale = max(float(np.abs(b).max()), 1e-6)
        assert float(np.abs(a - b).max()) <= 1e-5 * scale


@pytest.fixture(scope="module")
def tiny_bert_library(tmp_path_factory):
    out = tmp_path_factory.mktemp("kiln") / "tiny_bert.so"
    kiln.compile(TINY_BERT, out)
    return str(out)


def test_compile_from_path_runs_like_onnxruntime(tiny_bert_library):
    session = kiln.InferenceSession(tiny_bert_library)
    for batch, seq in [(1, 1), (2, 7), (3, 33)]:
        feeds = feeds_for(session, batch, seq)
        assert_matches(session.run(None, feeds),
                       run_onnxruntime(TINY_BERT, feeds))


def test_compile_from_model_proto(tmp_path, tiny_bert_library):
    model = onnx.load(TINY_BERT)
    out = tmp_path / "from_proto.so"
    kiln.compile(model, out, shapes={"input_ids": [2, None]})
    assert os.path.exists(str(out) + ".weights")
    session = kiln.InferenceSession(out, threads=1)
    feeds = feeds_for(session, 2, 5)
    reference = kiln.InferenceSession(tiny_bert_library).run(None, feeds)
    assert_matches(session.run(None, feeds), reference)
    # Outputs by name, in the order asked.
    [pooled] = session.run(["pooler_output"], feeds)
    np.testing.assert_array_equal(pooled, reference[1])


def test_signature_with_symbolic_dims(tiny_bert_library):
    session = kiln.InferenceSession(tiny_bert_library)
    inputs = {a.name: a for a in session.get_inputs()}
    assert set(inputs) == {"input_ids", "attention_mask", "token_type_ids"}
    assert inputs["input_ids"].shape == ["batch", "seq"]
    assert inputs["input_ids"].type == "tensor(int64)"
    # Gather takes negative ids too: the embedding table has 100 rows.
    assert inputs["input_ids"].range == (-100, 100)
    assert inputs["attention_mask"].range is None
    outputs = session.get_outputs()
    assert [o.name for o in outputs] == ["last_hidden_state", "pooler_output"]
    assert outputs[0].shape == ["batch", "seq", 64]
    assert outputs[0].type == "tensor(float)"
    # Same names, shapes and types as ONNX Runtime reports.
    reference = ort.InferenceSession(TINY_BERT,
                                     providers=["CPUExecutionProvider"])
    for ours, theirs in zip(session.get_inputs(), reference.get_inputs()):
        assert (ours.name, ours.shape, ours.type) == \
            (theirs.name, theirs.shape, theirs.type)


def bad_matmul_model():
    """A MatMul whose operands cannot multiply (3x4 by 5x6)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 6])
    w = helper.make_tensor("w", TensorProto.FLOAT, [5, 6], [0.5] * 30)
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="bad_matmul")
    graph = helper.make_graph([node], "bad", [x], [y], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_bad_model_raises_compile_error_naming_the_node(tmp_path):
    with pytest.raises(kiln.CompileError) as caught:
        kiln.compile(bad_matmul_model(), tmp_path / "bad.so")
    errors = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert errors and errors[0].node == "bad_matmul"
    assert "bad_matmul" in str(caught.value)
    assert not os.path.exists(tmp_path / "bad.so")


def test_unsupported_op_and_bad_options_raise(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    node = helper.make_node("NoSuchOp", ["x"], ["y"], name="mystery",
                            domain="com.example")
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    model = helper.make_model(
        helper.make_graph([node], "g", [x], [y]),
        opset_imports=[helper.make_opsetid("", 17),
                       helper.make_opsetid("com.example", 1)])
    with pytest.raises(kiln.CompileError, match="NoSuchOp"):
        kiln.compile(model, tmp_path / "m.so")
    with pytest.raises(kiln.CompileError, match="precision"):
        kiln.compile(TINY_BERT, tmp_path / "m.so", precision="int3")
    with pytest.raises(kiln.CompileError, match="cannot open"):
        kiln.compile(tmp_path / "missing.onnx", tmp_path / "m.so")
    with pytest.raises(ValueError):
        kiln.compile(TINY_BERT, tmp_path / "m.so", emit="pdf")


def test_text_stages(tmp_path):
    out = tmp_path / "tiny.tfm.mlir"
    kiln.compile(TINY_BERT, out, emit="tfm")
    assert "tfm.attention" in out.read_text()


def test_wrong_inputs_raise_clear_errors(tiny_bert_library):
    session = kiln.InferenceSession(tiny_bert_library)
    feeds = feeds_for(session)
    with pytest.raises(kiln.InvalidArgument, match="unknown input 'ids'"):
        session.run(None, dict(feeds, ids=feeds["input_ids"]))
    missing = dict(feeds)
    del missing["attention_mask"]
    with pytest.raises(kiln.InvalidArgument, match="missing input 'attention_mask'"):
        session.run(None, missing)
    with pytest.raises(kiln.InvalidArgument,
                       match="'input_ids' has dtype float32.*tensor\\(int64\\)"):
        session.run(None, dict(feeds, input_ids=feeds["input_ids"].astype(np.float32)))
    with pytest.raises(kiln.InvalidArgument, match="'input_ids' has rank 3"):
        session.run(None, dict(feeds, input_ids=feeds["input_ids"][None]))
    # Sizes that disagree between inputs are the runtime's to find.
    with pytest.raises(kiln.InvalidArgument, match="attention_mask"):
        session.run(None, dict(feeds, attention_mask=np.ones((2, 9), np.int64)))
    # Token ids out of the embedding table's range.
    with pytest.raises(kiln.InvalidArgument, match="input_ids"):
        session.run(None, dict(feeds, input_ids=np.full((2, 7), 10**6, np.int64)))
    with pytest.raises(kiln.InvalidArgument, match="unknown output"):
        session.run(["logits"], feeds)


def test_two_threads_share_one_session(tiny_bert_library):
    session = kiln.InferenceSession(tiny_bert_library, threads=1)
    feeds = [feeds_for(session, 2, 16, seed=s) for s in range(2)]
    expected = [session.run(None, f) for f in feeds]
    results = [[], []]
    errors = []

    def work(k):
        try:
            for _ in range(5):
                results[k].append(session.run(None, feeds[k]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(2):
        assert len(results[k]) == 5
        for outputs in results[k]:
            for a, b in zip(outputs, expected[k]):
                np.testing.assert_array_equal(a, b)


def test_bfloat16_conversions():
    values = np.array([1.0, -2.5, 3.140625, 1e-3, np.inf, 65504.0], np.float32)
    bits = kiln.float32_to_bfloat16(values)
    back = kiln.bfloat16_to_float32(bits)
    np.testing.assert_allclose(back, values, rtol=2 ** -8)
    # Round to nearest even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
    assert kiln.float32_to_bfloat16(np.float32(1 + 2 ** -8)) == 0x3F80
    assert np.isnan(kiln.bfloat16_to_float32(
        kiln.float32_to_bfloat16(np.float32(np.nan))))


@pytest.mark.skipif(os.environ.get("KILN_TEST_INSTALLED") == "1",
                    reason="already running from an installed package")
def test_pip_install_from_repository(tmp_path, tiny_bert_library):
    target = tmp_path / "site"
    subprocess.check_call(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--no-build-isolation", "--target", str(target),
         os.path.join(REPO, "python")],
        env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    script = (
        "import kiln, sys, numpy as np\n"
        "assert kiln.__file__.startswith(sys.argv[1]), kiln.__file__\n"
        "kiln.compile(sys.argv[2], sys.argv[3])\n"
        "s = kiln.InferenceSession(sys.argv[3])\n"
        "ids = np.ones((1, 4), np.int64)\n"
        "out = s.run(None, {'input_ids': ids, 'attention_mask': ids,"
        " 'token_type_ids': 0 * ids})\n"
        "print(out[0].shape)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("KILN_LIB_DIR", "KILN_BUILD_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run(
        [sys.executable, "-c", script, str(target), TINY_BERT,
         str(tmp_path / "installed.so")],
        env=env, cwd=str(tmp_path), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(1, 4, 64)"


TINY_WORDPIECE = {
    "model": {"type": "WordPiece", "unk_token": "[UNK]",
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3,
                        "hello": 4, "world": 5, "un": 6, "##aff": 7,
                        "##able": 8, ",": 9, "!": 10}},
    "normalizer": {"type": "BertNormalizer", "lowercase": True},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "[CLS]"}},
                                  {"Sequence": {"id": "A"}},
                                  {"SpecialToken": {"id": "[SEP]"}}]},
}


def test_tokenizer_encodes_and_reports_bad_files(tmp_path):
    import json
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(TINY_WORDPIECE))
    tok = kiln.Tokenizer(str(tmp_path))
    assert tok.encode("Hello, WORLD! unaffable") == [2, 4, 9, 5, 10, 6, 7, 8, 3]
    assert tok.encode("héllo x", add_special_tokens=False) == [4, 1]
    assert tok.add_special_tokens([5]) == [2, 5, 3]
    with pytest.raises(ValueError, match="cannot be read"):
        kiln.Tokenizer(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("[1,")
    with pytest.raises(ValueError, match="not valid JSON"):
        kiln.Tokenizer(str(tmp_path / "bad.json"))


def test_embed_pools_the_checkpoint_library(tmp_path, tiny_bert_library):
    """kiln.embed on a sentence-transformers folder: its sentence_embedding
    equals the masked mean of last_hidden_state, L2-normalised, each text
    alone; the folder's tokenizer lands beside the library."""
    import importlib.util
    import json
    spec = importlib.util.spec_from_file_location("make_bad", os.path.join(
        REPO, "test", "frontends", "huggingface", "Inputs",
        "make_bad_checkpoints.py"))
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    vocab = dict(TINY_WORDPIECE["model"]["vocab"])
    vocab = {k: v for k, v in vocab.items() if v < make.CONFIG["vocab_size"]}
    tokenizer = dict(TINY_WORDPIECE, model=dict(TINY_WORDPIECE["model"],
                                                vocab=vocab))
    rng = np.random.default_rng(0)
    arrays = {k: rng.standard_normal(v.shape).astype(np.float32) * 0.3
              for k, v in make.tensors().items()}
    make.write(str(tmp_path), "sentence", blob=make.safetensors(arrays),
               extra={"1_Pooling/config.json": json.dumps(
                          {"pooling_mode_mean_tokens": True}),
                      "modules.json": json.dumps(
                          [{"type": "sentence_transformers.models.Normalize"}]),
                      "tokenizer.json": json.dumps(tokenizer)})
    lib = str(tmp_path / "sentence.so")
    kiln.compile(str(tmp_path / "sentence"), lib)
    assert os.path.exists(lib + ".tokenizer.json")
    texts = ["hello world", "unaffable, hello!", "world"]
    got = kiln.embed(lib, texts)
    session = kiln.InferenceSession(lib)
    tok = kiln.Tokenizer(lib + ".tokenizer.json")
    for row, text in enumerate(texts):
        ids = np.array([tok.encode(text)], np.int64)
        hidden = session.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids)})[0][0]
        mean = hidden.mean(0)
        want = mean / np.linalg.norm(mean)
        assert np.abs(got[row] - want).max() <= 1e-5
    with pytest.raises(ValueError, match="no sentence_embedding"):
        kiln.embed(tiny_bert_library, ["hello"], tokenizer=tok)


def _tiny_llama(tmp_path):
    """A random 2-layer LLaMA folder (GQA, tied embeddings) with a byte-level
    BPE tokenizer over printable ASCII, two control tokens and a ChatML
    chat template, written with NumPy alone."""
    import importlib.util
    import json
    spec = importlib.util.spec_from_file_location("make_bad", os.path.join(
        REPO, "test", "frontends", "huggingface", "Inputs",
        "make_bad_checkpoints.py"))
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    tokens = ["Ġ" if c == " " else c for c in map(chr, range(0x20, 0x7f))]
    tokens += ["<|im_start|>", "<|im_end|>"]
    hidden, heads, kv, inter, layers = 32, 4, 2, 64, 2
    config = {"model_type": "llama", "hidden_size": hidden,
              "num_hidden_layers": layers, "num_attention_heads": heads,
              "num_key_value_heads": kv, "intermediate_size": inter,
              "vocab_size": len(tokens), "max_position_embeddings": 64,
              "rms_norm_eps": 1e-5, "tie_word_embeddings": True}
    rng = np.random.default_rng(1)
    d = hidden // heads
    shapes = {"model.embed_tokens.weight": (len(tokens), hidden),
              "model.norm.weight": (hidden,)}
    for i in range(layers):
        p = "model.layers.%d." % i
        shapes.update({
            p + "input_layernorm.weight": (hidden,),
            p + "post_attention_layernorm.weight": (hidden,),
            p + "self_attn.q_proj.weight": (heads * d, hidden),
            p + "self_attn.k_proj.weight": (kv * d, hidden),
            p + "self_attn.v_proj.weight": (kv * d, hidden),
            p + "self_attn.o_proj.weight": (hidden, heads * d),
            p + "mlp.gate_proj.weight": (inter, hidden),
            p + "mlp.up_proj.weight": (inter, hidden),
            p + "mlp.down_proj.weight": (hidden, inter)})
    arrays = {k: (1 + 0.1 * rng.standard_normal(s) if len(s) == 1 else
                  0.3 * rng.standard_normal(s)).astype(np.float32)
              for k, s in shapes.items()}
    tokenizer = {
        "added_tokens": [{"id": len(tokens) - 2 + i, "content": t,
                          "special": True}
                         for i, t in enumerate(tokens[-2:])],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False,
                          "use_regex": True},
        "post_processor": None, "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": {t: i for i, t in
                                           enumerate(tokens)},
                  "merges": []}}
    template = ("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n'"
                " + m['content'] + '<|im_end|>\\n'}}{% endfor %}"
                "{{ '<|im_start|>assistant\\n' }}")
    make.write(str(tmp_path), "llama", config=config,
               blob=make.safetensors(arrays),
               extra={"tokenizer.json": json.dumps(tokenizer),
                      "tokenizer_config.json": json.dumps(
                          {"chat_template": template,
                           "eos_token": "<|im_end|>"})})
    return str(tmp_path / "llama"), tokens


def test_kv_cache_matches_the_prefill_form(tmp_path):
    """A decoder library's cache: a prompt then tokens one by one give the
    prefill form's logits; sequences keep their own lengths; a run past
    the capacity is refused with the cache unchanged; truncation rewinds."""
    folder, tokens = _tiny_llama(tmp_path)
    cached, full = str(tmp_path / "kv.so"), str(tmp_path / "prefill.so")
    kiln.compile(folder, cached)
    kiln.compile(folder, full, kv_cache=False)
    session, ref = kiln.InferenceSession(cached), kiln.InferenceSession(full)
    assert [i.name for i in session.get_inputs()] == ["input_ids"]
    assert session.context_limit == 64 and ref.context_limit is None
    with pytest.raises(kiln.InvalidArgument, match="kiln_model_run_cached"):
        session.run(None, {"input_ids": np.zeros((1, 2), np.int64)})
    ids = np.random.default_rng(2).integers(0, len(tokens), (2, 9))

    def close(got, want):  # within 1e-5 of the logits' scale
        return np.abs(got - want).max() <= 1e-5 * np.abs(want).max()

    def want(row, n):
        x = ids[row:row + 1, :n]
        return ref.run(None, {"input_ids": x,
                              "attention_mask": np.ones_like(x)})[0][0, -1]

    cache = session.create_cache(batch=2, max_context=12)
    got = session.run(None, {"input_ids": ids[:1, :5]}, cache=cache)[0][0]
    assert close(got, want(0, 5))
    session.run(None, {"input_ids": ids[1:, :3]}, cache=cache,
                first_sequence=1)
    for t in range(2):
        step = np.array([[ids[0, 5 + t]], [ids[1, 3 + t]]], np.int64)
        got = session.run(None, {"input_ids": step}, cache=cache)[0]
        assert close(got[0], want(0, 6 + t))
        assert close(got[1], want(1, 4 + t))
    assert cache.lengths == [7, 5]
    with pytest.raises(kiln.InvalidArgument, match="capacity of 12"):
        session.run(None, {"input_ids": ids[:, :6]}, cache=cache)
    assert cache.lengths == [7, 5]
    cache.truncate(0, 5)
    got = session.run(None, {"input_ids": ids[:1, 5:7]}, cache=cache)[0][0]
    assert close(got, want(0, 7))


def test_generate_is_greedy_decoding_of_the_model(tmp_path):
    """kiln.generate at temperature 0 is the argmax loop over the prefill
    form's logits; --chat wraps the prompt in the ChatML template; the
    streamed pieces make up the text; sampling is seeded."""
    folder, tokens = _tiny_llama(tmp_path)
    cached, full = str(tmp_path / "kv.so"), str(tmp_path / "prefill.so")
    kiln.compile(folder, cached)
    kiln.compile(folder, full, kv_cache=False)
    tok = kiln.Tokenizer(cached + ".tokenizer.json")
    assert tok.decode(tok.encode("Hi there!")) == b"Hi there!"
    assert tok.find("<|im_end|>") == len(tokens) - 1
    pieces = []
    out = kiln.generate(cached, "hello", chat=True, max_tokens=10,
                        stream=pieces.append)
    assert out["prompt_ids"] == tok.encode(
        "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n")
    ref = kiln.InferenceSession(full)
    ids = list(out["prompt_ids"])
    want = []
    for _ in range(10):
        x = np.array([ids], np.int64)
        nxt = int(np.argmax(ref.run(None, {
            "input_ids": x, "attention_mask": np.ones_like(x)})[0][0, -1]))
        if nxt == len(tokens) - 1:
            break
        want.append(nxt)
        ids.append(nxt)
    assert out["ids"] == want
    assert "".join(pieces) == out["text"] == tok.decode(want).decode()
    a = kiln.generate(cached, "abc", temperature=1.0, top_k=5, seed=7)
    b = kiln.generate(cached, "abc", temperature=1.0, top_k=5, seed=7)
    assert a["ids"] == b["ids"] and len(a["ids"]) > 0
    with pytest.raises(ValueError, match="not a decoder library"):
        kiln.generate(full, "abc")
