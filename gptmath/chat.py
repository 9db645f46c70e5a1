"""Chat as a script: role markers, the chat template, and the prompt it builds.

A chat model is the same next-token predictor reading a script: a system line,
the user's turn, then "<|assistant|>", after which the model simply continues.

    from gptmath.chat import chat_prompt
    text = chat_prompt(template, [{"role": "user", "content": "Tell me a story about a dog named Max."}])
    # '<|system|>...<|end|>\\n<|user|>Tell me a story about a dog named Max.<|end|>\\n<|assistant|>'
"""
from __future__ import annotations

import json
from pathlib import Path

from .errors import GptMathError

ROLES = ("system", "user", "assistant")
END = "<|end|>"
ROLE_TOKENS = tuple(f"<|{role}|>" for role in ROLES) + (END,)
SYSTEM_PROMPT = "You are a storyteller. You tell short, simple stories for children."

# Jinja, as in tokenizer_config.json's "chat_template": each turn is its role
# marker, its text and <|end|>; a system line is added when the script has none.
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}<|system|>" + SYSTEM_PROMPT + "<|end|>\n{% endif %}"
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def read_chat_template(folder: str | Path) -> str | None:
    """The chat_template of a save_pretrained folder (tokenizer_config.json or chat_template.jinja), if any."""
    folder = Path(folder)
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    config = folder / "tokenizer_config.json"
    if config.is_file():
        template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        return template if isinstance(template, str) else None
    return None


def chat_prompt(template: str | None, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """The text a chat template makes of `messages`, as transformers' apply_chat_template(tokenize=False) does."""
    if template is None:
        raise GptMathError("this model has no chat template: use a chat-trained model such as the default one")
    for m in messages:
        if m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise GptMathError(f"a chat message needs a role out of {', '.join(ROLES)} and text content, got {m!r}")
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(messages=messages, add_generation_prompt=add_generation_prompt)


def split_markers(text: str) -> list[tuple[str, bool]]:
    """The script as (piece, is_role_marker) in order: "<|user|>Hi<|end|>" -> [("<|user|>", True), ("Hi", False), ...]."""
    import re

    pattern = "(" + "|".join(re.escape(t) for t in ROLE_TOKENS) + ")"
    return [(piece, piece in ROLE_TOKENS) for piece in re.split(pattern, text) if piece]
