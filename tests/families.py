"""Small random checkpoints of every family gptmath reads, written with save_pretrained.

Each is a real transformers model (random weights, then noise on every
parameter so biases and norm weights are not trivially 0 and 1) with a
byte-level BPE tokenizer trained with the `tokenizers` library, like
gpttrain.toy's GPT-2s.

    folder = make_family_model(tmp_path / "llama", "llama", num_attention_heads=3, ...)
"""
from __future__ import annotations

from pathlib import Path

from gpttrain.toy import TOY_TEXT

EOT = "<|endoftext|>"

# name -> (model_type, config keywords): odd head counts, GQA ratios, rotary fractions, windows, tied and untied.
FAMILY_SHAPES: dict[str, tuple[str, dict]] = {
    "llama-3H-gqa3-tied": ("llama", dict(num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=1,
                                          hidden_size=24, intermediate_size=40, tie_word_embeddings=True)),
    "llama-4H-gqa2-untied": ("llama", dict(num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                                            hidden_size=32, intermediate_size=56, tie_word_embeddings=False,
                                            rope_parameters={"rope_type": "default", "rope_theta": 500.0})),
    "mistral-window3": ("mistral", dict(num_hidden_layers=2, num_attention_heads=6, num_key_value_heads=2,
                                         hidden_size=36, intermediate_size=44, sliding_window=3,
                                         tie_word_embeddings=False)),
    "qwen2-5H-tied": ("qwen2", dict(num_hidden_layers=2, num_attention_heads=5, num_key_value_heads=5,
                                     hidden_size=40, intermediate_size=48, tie_word_embeddings=True)),
    "qwen2-gqa2-sliding": ("qwen2", dict(num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                                          hidden_size=32, intermediate_size=40, tie_word_embeddings=False,
                                          use_sliding_window=True, sliding_window=4, max_window_layers=1)),
    "neox-3H-rot25-padded": ("gpt_neox", dict(num_hidden_layers=2, num_attention_heads=3, hidden_size=48,
                                               intermediate_size=96, rotary_pct=0.25, pad_vocab=20)),
    "neox-2H-rot100-sequential": ("gpt_neox", dict(num_hidden_layers=2, num_attention_heads=2, hidden_size=32,
                                                    intermediate_size=64, rotary_pct=1.0, rotary_emb_base=100,
                                                    use_parallel_residual=False, hidden_act="gelu_new")),
    "neo-3H-local4": ("gpt_neo", dict(num_layers=2, num_heads=3, hidden_size=24, window_size=4,
                                       attention_types=[[["global", "local"], 1]])),
    "neo-2H-local2-untied": ("gpt_neo", dict(num_layers=3, num_heads=2, hidden_size=16, window_size=2,
                                              intermediate_size=40, attention_types=[[["local"], 3]],
                                              tie_word_embeddings=False, activation_function="gelu")),
}


def make_tokenizer(vocab_size: int = 300):
    """A GPT-2-style byte-level BPE tokenizer trained on TOY_TEXT, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([TOY_TEXT] * 4, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT)


def make_family_model(folder: str | Path, model_type: str, seed: int = 0, n_ctx: int = 64, pad_vocab: int = 0,
                      noise: float = 0.1, **config) -> Path:
    """Write a random causal LM of `model_type` and its tokenizer; `pad_vocab` extra embedding rows no token uses."""
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM

    transformers.logging.disable_progress_bar()
    folder = Path(folder)
    tokenizer = make_tokenizer()
    eot = tokenizer.convert_tokens_to_ids(EOT)
    cfg = AutoConfig.for_model(model_type, vocab_size=len(tokenizer) + pad_vocab, max_position_embeddings=n_ctx,
                               bos_token_id=eot, eos_token_id=eot, **config)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(noise * torch.randn_like(p))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def make_family_models(root: Path) -> dict[str, Path]:
    """Every shape of FAMILY_SHAPES under root/<name>."""
    return {name: make_family_model(root / name, model_type, seed=i, **kw)
            for i, (name, (model_type, kw)) in enumerate(FAMILY_SHAPES.items())}
