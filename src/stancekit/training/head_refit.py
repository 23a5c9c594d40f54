"""Refitting a trained classifier's head on the deployment mix: the balanced statements plus the natural set.

Fine-tuning MiniLM takes about an hour on two CPU cores; refitting its head takes seconds. The encoder of the
trained weights (``training.refit_head.source``) is kept frozen: its [CLS] states are computed once for every training
text, and the head (BERT's pooler, a 384x384 tanh layer, and the classifier) is trained on them from its current
values with a weighted binary cross-entropy, natural rows weighted by ``training.natural_weight``. Per-label
thresholds are then chosen on the dev split named by ``training.threshold_data`` (the natural set's, for the
deployment mix), and the new head replaces the old one in the saved adapter file, so the directory loads
exactly as before.

Example:
    >>> from stancekit.statements.classifiers import load_classifier_config
    >>> from stancekit.training.head_refit import refit_head
    >>> refit_head(load_classifier_config("diplomatic-v1-minilm"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError
from stancekit.io import check_output_path

if TYPE_CHECKING:
    import numpy as np

    from stancekit.statements.classifiers.config import ClassifierConfig
    from stancekit.statements.taxonomy import Taxonomy

# The head's tensors in a LoRA adapter file (peft's modules_to_save), and their modules in the merged model.
HEAD_KEYS = {
    "base_model.model.bert.pooler.dense.weight": ("pooler", "weight"),
    "base_model.model.bert.pooler.dense.bias": ("pooler", "bias"),
    "base_model.model.classifier.weight": ("classifier", "weight"),
    "base_model.model.classifier.bias": ("classifier", "bias"),
}


def training_rows(
    config: ClassifierConfig, taxonomy: Taxonomy
) -> tuple[list[str], list[list[str]], list[float], int]:
    """Texts, label sets and loss weights: the balanced train split, then the natural train split (weighted);
    and how many rows are natural."""
    from stancekit.statements.classifiers.config import resolve_path
    from stancekit.statements.data import load_natural, load_statements

    tc = config.training
    assert tc is not None
    balanced = load_statements(resolve_path(tc.data), taxonomy, split=tc.train_split)
    texts, labels = list(balanced["text"]), [list(x) for x in balanced["labels"]]
    weights = [1.0] * len(texts)
    n_natural = 0
    if tc.natural_data is not None:
        natural = load_natural(tc.train_split, taxonomy, directory=resolve_path(tc.natural_data))
        texts += list(natural["text"])
        labels += [list(x) for x in natural["labels"]]
        weights += [tc.natural_weight] * natural.num_rows
        n_natural = natural.num_rows
    return texts, labels, weights, n_natural


def threshold_rows(config: ClassifierConfig, taxonomy: Taxonomy) -> tuple[list[str], list[list[str]]]:
    """The dev split whose scores set the thresholds (``training.threshold_data``)."""
    from stancekit.statements.classifiers.config import resolve_path
    from stancekit.statements.data import load_natural, load_statements

    tc = config.training
    assert tc is not None
    if tc.threshold_data == "natural":
        assert tc.natural_data is not None
        rows = load_natural(tc.dev_split, taxonomy, directory=resolve_path(tc.natural_data))
    else:
        rows = load_statements(resolve_path(tc.data), taxonomy, split=tc.dev_split)
    return list(rows["text"]), [list(x) for x in rows["labels"]]


def _cls_states(classifier: Any, texts: list[str]) -> np.ndarray:
    import torch

    with torch.inference_mode():
        states, _ = classifier.encoder.run(
            texts, lambda batch: classifier.model.bert(**batch).last_hidden_state[:, 0]
        )
    return states


def _fit(
    head: Any, features: np.ndarray, targets: np.ndarray, weights: np.ndarray, settings: Any, seed: int
) -> list[float]:
    import torch

    torch.manual_seed(seed)
    x = torch.as_tensor(features, dtype=torch.float32)
    y = torch.as_tensor(targets, dtype=torch.float32)
    w = torch.as_tensor(weights, dtype=torch.float32)[:, None]
    optimiser = torch.optim.AdamW(
        head.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    dropout = torch.nn.Dropout(0.1)
    losses = []
    head.train()
    for _ in range(settings.epochs):
        optimiser.zero_grad()
        logits = head(dropout(x))
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none") * w
        ).sum() / (w.sum() * y.shape[1])
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
    head.eval()
    return losses


def refit_head(config: ClassifierConfig) -> dict[str, Any]:
    """Refit the head of ``config.weights`` (see the module docstring) and write it to ``training.output_dir``.

    Returns what ``training.json`` records about the refit: rows, weights, thresholds, the loss curve's ends.
    """
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file

    from stancekit.statements.classifiers.base import choose_thresholds, label_matrix
    from stancekit.statements.classifiers.config import THRESHOLDS_FILE, TRAINING_FILE, resolve_path
    from stancekit.statements.classifiers.fine_tuned import FineTunedClassifier, resolve_weights

    tc = config.training
    if tc is None or tc.refit_head is None:
        raise ConfigError(
            f"classifier config {config.name!r} has no training.refit_head section.",
            fix="add `refit_head: {source: <trained weights>}` under `training:`.",
        )
    source = resolve_weights(tc.refit_head.source)
    output = resolve_path(tc.output_dir)
    check_output_path(output, "directory", what="training.output_dir")
    classifier = FineTunedClassifier(source, device=config.device, batch_size=config.batch_size)
    if classifier.training.get("format") != "lora":
        raise ConfigError(f"{source} holds full weights; refit_head works on LoRA adapter directories.")
    taxonomy = classifier.taxonomy
    labels = taxonomy.substantive
    texts, label_sets, weights, n_natural = training_rows(config, taxonomy)
    dev_texts, dev_labels = threshold_rows(
        config, taxonomy
    )  # read before the slow part: bad data fails first

    started = time.perf_counter()
    features = _cls_states(classifier, texts)
    dev_features = _cls_states(classifier, dev_texts)
    bert = classifier.model.bert
    head = torch.nn.Sequential(
        torch.nn.Linear(features.shape[1], features.shape[1]),
        torch.nn.Tanh(),
        torch.nn.Linear(features.shape[1], len(labels)),
    )
    head[0].load_state_dict(bert.pooler.dense.state_dict())
    head[2].load_state_dict(classifier.model.classifier.state_dict())
    seed = tc.seeds[0]
    losses = _fit(head, features, label_matrix(label_sets, labels), np.asarray(weights), tc.refit_head, seed)
    with torch.inference_mode():
        dev_probabilities = torch.sigmoid(head(torch.as_tensor(dev_features, dtype=torch.float32))).numpy()
    thresholds = choose_thresholds(dev_probabilities, label_matrix(dev_labels, labels))
    seconds = time.perf_counter() - started

    staging = output.with_name(f".{output.name}.refit")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging)
    adapter = staging / "adapter_model.safetensors"
    tensors = load_file(adapter)
    modules = {"pooler": head[0], "classifier": head[2]}
    for key, (module, name) in HEAD_KEYS.items():
        if key not in tensors:
            shutil.rmtree(staging)
            raise ConfigError(
                f"{adapter} has no tensor {key}: not a MiniLM/BERT LoRA classifier with a saved head."
            )
        tensors[key] = getattr(modules[module], name).detach().clone().contiguous()
    save_file(tensors, adapter, metadata={"format": "pt"})
    threshold_map = {label: round(float(t), 6) for label, t in zip(labels, thresholds, strict=True)}
    (staging / THRESHOLDS_FILE).write_text(json.dumps(threshold_map, indent=2) + "\n", encoding="utf-8")
    record = {
        "refit_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": tc.refit_head.source,
        "settings": tc.refit_head.model_dump(),
        "rows": {"all": len(texts), "natural_train": n_natural, "balanced_train": len(texts) - n_natural},
        "natural_data": tc.natural_data,
        "natural_weight": tc.natural_weight,
        "threshold_data": tc.threshold_data,
        "threshold_rows": len(dev_texts),
        "thresholds": threshold_map,
        "loss_first_last": [round(losses[0], 5), round(losses[-1], 5)],
        "seconds": round(seconds, 1),
        "seed": seed,
    }
    meta = json.loads((staging / TRAINING_FILE).read_text(encoding="utf-8"))
    meta.setdefault("head_refits", []).append(record)
    meta["classifier_config"] = config.model_dump(mode="json")
    meta["config_fingerprint"] = config.fingerprint()
    (staging / TRAINING_FILE).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    readme = staging / "README.md"
    if readme.is_file():
        readme.write_text(
            readme.read_text(encoding="utf-8") + _refit_section(record, len(texts)), encoding="utf-8"
        )
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)
    return record


def _refit_section(record: dict[str, Any], n: int) -> str:
    return (
        "\n## Head refit on the deployment mix\n\n"
        f"The pooler and classifier were refit ({record['refit_at']}) on frozen encoder features of {n} rows: "
        f"the balanced train split and the natural-prior train split ({record['natural_data']}, weight "
        f"{record['natural_weight']}). Thresholds were chosen on the {record['threshold_data']} dev split "
        f"({record['threshold_rows']} rows): {json.dumps(record['thresholds'])}. The dev and test figures above "
        "are the fine-tuned model's before the refit; the refit model's are in `results/` "
        "(configs/eval/natural-*.yaml, statements-test-minilm.yaml, plover-minilm.yaml).\n"
    )
