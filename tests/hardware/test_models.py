"""Model shapes: bundled table, local config.json + safetensors, params_b, the Hub through the real client."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hf_train_mcp.hardware import models
from hf_train_mcp.hardware.api import UnknownModelError

LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 576,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "intermediate_size": 1536,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
}


def write_safetensors(path: Path, tensors: dict[str, list[int]]) -> None:
    header = {
        name: {"dtype": "BF16", "shape": shape, "data_offsets": [0, 0]} for name, shape in tensors.items()
    }
    header["__metadata__"] = {"format": "pt"}  # type: ignore[assignment]
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)


def test_bundled_shapes_agree_with_their_parameter_counts() -> None:
    """The table's params match the shape formula (multimodal Gemma 3 also loads a vision tower)."""
    for name in models.bundled_names():
        s = models.resolve(name, allow_hub=False)
        formula = (
            s.layers * (s.attention_params_per_layer + s.mlp_params_per_layer + 2 * s.hidden)
            + s.embedding_params
            + s.lm_head_params
        )
        assert 0.85 < formula / s.params < 1.01, name


def test_every_family_of_the_issue_is_bundled() -> None:
    names = " ".join(models.bundled_names()).lower()
    for family in (
        "llama-2-7b",
        "llama-3.2-1b",
        "qwen2.5-0.5b",
        "qwen2.5-72b",
        "qwen3-0.6b",
        "qwen3-32b",
        "gemma-2-27b",
        "gemma-3-1b",
        "mistral-7b",
        "mixtral",
        "phi-3",
        "phi-4",
        "smollm2-135m",
        "smollm3-3b",
    ):
        assert family in names, family


@pytest.mark.parametrize(
    ("name", "params_b"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", 8.03),
        ("unsloth/Llama-3.2-1B-Instruct-bnb-4bit", 1.24),  # other owner + suffixes: same shape
        ("qwen/qwen2.5-7b-instruct", 7.62),  # case-insensitive
        ("Qwen/Qwen3-4B-Instruct-2507", 4.02),
        ("google/gemma-3-1b-it", 1.0),
    ],
)
def test_bundled_lookup(name: str, params_b: float) -> None:
    shape = models.resolve(name, allow_hub=False)
    assert shape.params_b == pytest.approx(params_b, rel=0.01)
    assert "bundled" in shape.source


def test_quantized_reupload_is_marked() -> None:
    assert models.resolve("unsloth/Llama-3.2-1B-Instruct-bnb-4bit", allow_hub=False).quantized
    assert not models.resolve("meta-llama/Llama-3.2-1B-Instruct", allow_hub=False).quantized


def test_mixture_of_experts_active_params() -> None:
    mixtral = models.resolve("mistralai/Mixtral-8x7B-v0.1", allow_hub=False)
    assert mixtral.params_b == pytest.approx(46.7, rel=0.01)
    assert mixtral.active_params / 1e9 == pytest.approx(12.9, rel=0.02)


def test_params_b_alone_borrows_the_nearest_geometry() -> None:
    shape = models.resolve(None, 7.0)
    assert shape.params == 7_000_000_000
    assert shape.hidden == 4096  # a 7B-class geometry
    assert "params_b" in shape.source


def test_params_b_overrides_a_known_model() -> None:
    shape = models.resolve("Qwen/Qwen2.5-7B", 7.5)
    assert shape.params == 7_500_000_000 and shape.hidden == 3584
    assert "override" in shape.source


def test_nothing_given_or_bad_params_b() -> None:
    with pytest.raises(UnknownModelError, match="params_b"):
        models.resolve(None, None)
    with pytest.raises(UnknownModelError, match="positive"):
        models.resolve(None, -1)


def test_local_folder_reads_config_and_safetensors_headers(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    write_safetensors(tmp_path / "model-00001-of-00002.safetensors", {"a": [1000, 100], "b": [10]})
    write_safetensors(tmp_path / "model-00002-of-00002.safetensors", {"c": [5, 5, 4]})
    shape = models.resolve(str(tmp_path))
    assert shape.params == 100_000 + 10 + 100
    assert (shape.layers, shape.hidden, shape.heads, shape.kv_heads, shape.vocab) == (30, 576, 9, 3, 49152)
    assert shape.head_dim == 64 and shape.tied_embeddings
    assert "safetensors" in shape.source


def test_local_config_without_weights_counts_from_the_shape(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(LLAMA_CONFIG))
    shape = models.resolve(str(config))  # the file itself works too
    smollm = models.resolve("HuggingFaceTB/SmolLM2-135M", allow_hub=False)
    assert shape.params == pytest.approx(smollm.params, rel=0.001)


def test_local_multimodal_config_uses_text_config(tmp_path: Path) -> None:
    config = {
        "model_type": "gemma3",
        "text_config": {
            "hidden_size": 2560,
            "num_hidden_layers": 34,
            "num_attention_heads": 8,
            "num_key_value_heads": 4,
            "head_dim": 256,
            "intermediate_size": 10240,
            "vocab_size": 262208,
        },
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    shape = models.resolve(str(tmp_path))
    assert shape.hidden == 2560 and shape.head_dim == 256 and shape.tied_embeddings


def test_local_errors_say_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(UnknownModelError, match="params_b"):
        models.resolve(str(tmp_path))  # no config.json
    with pytest.raises(UnknownModelError, match="no such local path"):
        models.resolve(str(tmp_path / "missing"))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(UnknownModelError, match="params_b"):
        models.resolve(str(tmp_path))


def test_unknown_model_offline_says_pass_params_b_or_a_local_path() -> None:
    # conftest points HF_ENDPOINT at a closed port: the Hub does not answer
    with pytest.raises(UnknownModelError) as info:
        models.resolve("someone/not-a-bundled-model")
    assert "params_b" in str(info.value) and "local path" in str(info.value)
    shape = models.resolve("someone/not-a-bundled-model", 3.0)  # params_b rescues it
    assert shape.params == 3_000_000_000


def test_hub_config_and_safetensors_count_through_the_real_client(fake_hub) -> None:  # type: ignore[no-untyped-def]
    fake_hub.configs["alice/tiny-llama"] = LLAMA_CONFIG
    fake_hub.params["alice/tiny-llama"] = 134_515_008
    shape = models.resolve("alice/tiny-llama")
    assert shape.params == 134_515_008
    assert shape.hidden == 576 and shape.layers == 30
    assert "Hub config.json" in shape.source
    assert "GET /alice/tiny-llama/resolve/main/config.json" in fake_hub.requests
    assert any(r.startswith("GET /api/models/alice/tiny-llama") for r in fake_hub.requests)
    count = len(fake_hub.requests)
    models.resolve("alice/tiny-llama")  # cached in memory
    assert len(fake_hub.requests) == count


def test_hub_gated_config_falls_back_to_the_parameter_count(fake_hub) -> None:  # type: ignore[no-untyped-def]
    fake_hub.params["corp/gated-13b"] = 13_000_000_000
    fake_hub.gated.add("corp/gated-13b")
    shape = models.resolve("corp/gated-13b")
    assert shape.params == 13_000_000_000
    assert "geometry of" in shape.source


def test_hub_missing_model_is_an_actionable_error(fake_hub) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownModelError, match="params_b"):
        models.resolve("alice/does-not-exist")
