"""Writes the trained model as an engine model folder: an ONNX graph with int8
embeddings (per-row scales), tokenizer.json and codescout-model.json.

The graph mirrors ``BagOfWords.forward``:
  embeddings = Gather(int8 table, ids) * Gather(row scales, ids)
  attention  = Softmax(Where(mask, Gather(token weights, ids), -1e4)) * mask
  output     = L2-normalise(attention @ embeddings)            → [B, D]
and, for a model with a context convolution (float weights; a few kB):
  context    = depthwise Conv over the sequence of (embeddings * mask)
  attention  = Softmax(Where(mask, token weights + Tanh(context) @ u, -1e4)) * mask
  output     = L2-normalise(attention @ (embeddings [+ context]))
``QuantizedBagOfWords`` computes the same in numpy, for evaluation.
"""
from __future__ import annotations

import json
import os

import numpy as np

from .tokenizer import IdentifierTokenizer

MASKED_SCORE = -1e4
NORM_EPS = 1e-6


class QuantizedBagOfWords:
    """The exported model's arithmetic in numpy: what the ONNX graph computes."""

    def __init__(self, embedding: np.ndarray, weight: np.ndarray, context: dict | None = None):
        """context: None, or the context stage's float weights: ``conv`` [D, 1, k], ``bias`` [D], ``u`` [D]
        and ``embedding`` (bool: pool embedding + context)."""
        scale = np.abs(embedding).max(axis=1, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        self.table = np.clip(np.round(embedding / scale), -127, 127).astype(np.int8)
        self.scale = scale.astype(np.float32)
        self.weight = weight.astype(np.float32).reshape(-1)
        self.context = None if context is None else {
            "conv": np.asarray(context["conv"], dtype=np.float32), "bias": np.asarray(context["bias"], dtype=np.float32),
            "u": np.asarray(context["u"], dtype=np.float32), "embedding": bool(context["embedding"])}

    @classmethod
    def of(cls, model) -> "QuantizedBagOfWords":
        """From a trained ``BagOfWords``."""
        context = None
        if model.context_kernel:
            context = {"conv": model.context.weight.detach().numpy(), "bias": model.context.bias.detach().numpy(),
                       "u": model.context_weight.detach().numpy(), "embedding": model.context_embedding}
        return cls(model.embedding.weight.detach().numpy(), model.weight.weight.detach().numpy(), context)

    def arrays(self) -> dict[str, np.ndarray]:
        """The exported weights as named arrays (``np.savez``); ``from_arrays`` reads them back."""
        out = {"table": self.table, "scale": self.scale, "weight": self.weight}
        if self.context is not None:
            out.update({"conv": self.context["conv"], "bias": self.context["bias"], "u": self.context["u"],
                        "context_embedding": np.array(int(self.context["embedding"]))})
        return out

    @classmethod
    def from_arrays(cls, z) -> "QuantizedBagOfWords":
        q = cls.__new__(cls)
        q.table, q.scale, q.weight = z["table"], z["scale"], z["weight"]
        q.context = None
        if "conv" in z:
            q.context = {"conv": z["conv"], "bias": z["bias"], "u": z["u"], "embedding": bool(z["context_embedding"])}
        return q

    def embed(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        valid = (mask != 0)
        emb = self.table[ids].astype(np.float32) * self.scale[ids]
        scores = self.weight[ids]
        vectors = emb
        if self.context is not None:
            emb = emb * valid[..., None]
            conv = self.context["conv"][:, 0, :]                      # [D, k]
            k = conv.shape[1]
            padded = np.pad(emb, ((0, 0), (k // 2, k // 2), (0, 0)))
            ctx = np.broadcast_to(self.context["bias"], emb.shape).copy()
            for j in range(k):
                ctx += padded[:, j:j + emb.shape[1], :] * conv[:, j]
            scores = scores + np.tanh(ctx) @ self.context["u"]
            vectors = emb + ctx if self.context["embedding"] else emb
        scores = np.where(valid, scores, MASKED_SCORE)
        scores = scores - scores.max(axis=1, keepdims=True)
        attn = np.exp(scores)
        attn = attn / attn.sum(axis=1, keepdims=True) * valid
        pooled = np.einsum("bt,btd->bd", attn, vectors)
        norm = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), NORM_EPS)
        return (pooled / norm).astype(np.float32)


def build_onnx(q: QuantizedBagOfWords, path: str) -> None:
    """Writes the ONNX graph of ``q``. The engine recognises this graph node for node (without the
    context stage) and embeds search queries from its initializers without onnxruntime
    (src/engine/vectors/bag-of-words.ts): a change to a node, a name or an initializer here makes the
    engine run such a model's queries on onnxruntime, until bag-of-words.ts learns the new graph."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    dim = q.table.shape[1]
    inits = [
        numpy_helper.from_array(q.table, "embedding_int8"),
        numpy_helper.from_array(q.scale, "embedding_scale"),
        numpy_helper.from_array(q.weight, "token_weight"),
        numpy_helper.from_array(np.array(MASKED_SCORE, dtype=np.float32), "masked_score"),
        numpy_helper.from_array(np.array(NORM_EPS, dtype=np.float32), "norm_eps"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_1"),
    ]
    n = helper.make_node
    nodes = [
        n("Gather", ["embedding_int8", "input_ids"], ["emb_i8"]),
        n("Cast", ["emb_i8"], ["emb_raw"], to=TensorProto.FLOAT),
        n("Gather", ["embedding_scale", "input_ids"], ["emb_scale"]),
        n("Mul", ["emb_raw", "emb_scale"], ["emb"]),
        n("Gather", ["token_weight", "input_ids"], ["weights"]),
        n("Cast", ["attention_mask"], ["mask_bool"], to=TensorProto.BOOL),
        n("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT),
    ]
    scores_in, pooled_from = "weights", "emb"
    if q.context is not None:
        c = q.context
        k = c["conv"].shape[2]
        inits += [
            numpy_helper.from_array(c["conv"], "context_conv"),
            numpy_helper.from_array(c["bias"], "context_bias"),
            numpy_helper.from_array(c["u"].reshape(-1, 1), "context_u"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_2"),
        ]
        nodes += [
            n("Unsqueeze", ["mask_float", "axis_2"], ["mask_col"]),
            n("Mul", ["emb", "mask_col"], ["emb_masked"]),
            n("Transpose", ["emb_masked"], ["emb_dt"], perm=[0, 2, 1]),
            n("Conv", ["emb_dt", "context_conv", "context_bias"], ["ctx_dt"], group=dim, kernel_shape=[k],
              pads=[k // 2, k // 2]),
            n("Transpose", ["ctx_dt"], ["ctx"], perm=[0, 2, 1]),
            n("Tanh", ["ctx"], ["ctx_tanh"]),
            n("MatMul", ["ctx_tanh", "context_u"], ["ctx_score_col"]),
            n("Squeeze", ["ctx_score_col", "axis_2"], ["ctx_score"]),
            n("Add", ["weights", "ctx_score"], ["weights_ctx"]),
        ]
        scores_in, pooled_from = "weights_ctx", "emb_masked"
        if c["embedding"]:
            nodes.append(n("Add", ["emb_masked", "ctx"], ["emb_ctx"]))
            pooled_from = "emb_ctx"
    nodes += [
        n("Where", ["mask_bool", scores_in, "masked_score"], ["scores"]),
        n("Softmax", ["scores"], ["softmax"], axis=1),
        n("Mul", ["softmax", "mask_float"], ["attn"]),
        n("Unsqueeze", ["attn", "axis_1"], ["attn_row"]),
        n("MatMul", ["attn_row", pooled_from], ["pooled_row"]),
        n("Squeeze", ["pooled_row", "axis_1"], ["pooled"]),
        n("ReduceL2", ["pooled"], ["norm_raw"], axes=[1], keepdims=1),
        n("Max", ["norm_raw", "norm_eps"], ["norm"]),
        n("Div", ["pooled", "norm"], ["sentence_embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "codescout_bag_of_words",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dim])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="codescout-train")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def write_model_folder(out_dir: str, q: QuantizedBagOfWords, tok: IdentifierTokenizer, *, model_id: str,
                       description: str, max_tokens: int) -> None:
    os.makedirs(out_dir, exist_ok=True)
    build_onnx(q, os.path.join(out_dir, "model.onnx"))
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    config = {
        "format": 1,
        "id": model_id,
        "description": description,
        "onnx": "model.onnx",
        "dimension": int(q.table.shape[1]),
        "maxTokens": max_tokens,
        "pooling": "none",
        "normalize": True,
        "queryPrefix": "",
        "documentPrefix": "",
        "tokenizer": {"kind": "identifier", "file": "tokenizer.json"},
        "inputs": {"ids": "input_ids", "mask": "attention_mask"},
        "output": "sentence_embedding",
    }
    with open(os.path.join(out_dir, "codescout-model.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
