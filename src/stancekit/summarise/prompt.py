"""The model input for a document, shared by inference and training so a fine-tuned model sees its training prompt."""

from __future__ import annotations

from typing import Any

from stancekit.summarise.config import PromptSettings


def build_prompt(
    tokenizer: Any, prompt: PromptSettings, document: str, *, backend: str, reduce: bool = False
) -> str:
    """The model input for ``document``: ``prefix + document`` for seq2seq, the chat prompt for causal LMs.

    Training (stancekit.training.summariser) builds its inputs with this too, so a fine-tuned model sees at
    inference exactly the prompt it was trained on.
    """
    if backend == "seq2seq":
        return prompt.prefix + document
    user = (prompt.reduce_user if reduce and prompt.reduce_user else prompt.user).format(document=document)
    if not prompt.use_chat_template:
        return "\n\n".join(p for p in (prompt.system, user) if p) + "\n\n"
    messages = ([{"role": "system", "content": prompt.system}] if prompt.system else []) + [
        {"role": "user", "content": user}
    ]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
