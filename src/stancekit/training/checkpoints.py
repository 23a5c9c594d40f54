"""Checkpoints of a summariser training run: a fingerprint of the settings beside each, checked before resuming."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from stancekit.errors import ConfigError
from stancekit.training.summariser_config import (
    CHECKPOINT_MARKER,
    TrainSummariserConfig,
)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def _check_checkpoint(checkpoint: Path, config: TrainSummariserConfig) -> None:
    """Refuse a checkpoint that was not written by this config's training settings."""
    marker = checkpoint / CHECKPOINT_MARKER
    if not marker.is_file():
        raise ConfigError(
            f"checkpoint {checkpoint} has no {CHECKPOINT_MARKER}, so it was not written by train_summariser "
            "and cannot be checked against this config.",
            fix="point training.resume_from at a checkpoint of this run, or set training.resume=false to start over.",
        )
    saved = json.loads(marker.read_text(encoding="utf-8"))
    if saved.get("fingerprint") == config.training_fingerprint():
        return
    old, new = _flatten(saved.get("settings", {})), _flatten(config.training_payload())
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    details = "; ".join(f"{k}: {old.get(k)!r} there, {new.get(k)!r} now" for k in changed[:8])
    raise ConfigError(
        f"checkpoint {checkpoint} was written by another training config "
        f"('{saved.get('name')}', fingerprint {str(saved.get('fingerprint'))[:12]}); resuming it would mix two "
        f"runs. Differences: {details or 'unknown'}.",
        fix="resume with the config that wrote it, set training.resume=false to start over (deletes the old "
        "checkpoints), or set another training.output_dir / training.checkpoint_dir.",
    )


def _marker_payload(config: TrainSummariserConfig) -> str:
    data = {
        "name": config.name,
        "fingerprint": config.training_fingerprint(),
        "settings": config.training_payload(),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _prepare_checkpoints(config: TrainSummariserConfig, checkpoint_dir: Path) -> str | None:
    """The checkpoint to resume from (checked), or None; leaves ``checkpoint_dir`` ready with its marker."""
    from transformers.trainer_utils import get_last_checkpoint

    tc = config.training
    if tc.resume_from:
        checkpoint = Path(tc.resume_from).expanduser()
        if not checkpoint.is_dir():
            raise ConfigError(
                f"training.resume_from: {checkpoint} is not a directory.", fix="check the path."
            )
        _check_checkpoint(checkpoint, config)
        resume: str | None = str(checkpoint)
    elif checkpoint_dir.is_dir():
        last = get_last_checkpoint(str(checkpoint_dir))
        ours = (checkpoint_dir / CHECKPOINT_MARKER).is_file()
        if last and tc.resume:
            _check_checkpoint(Path(last), config)
            resume = last
        elif ours or not any(checkpoint_dir.iterdir()):
            shutil.rmtree(checkpoint_dir)  # written by train_summariser and not to be resumed: start over
            resume = None
        else:
            raise ConfigError(
                f"{checkpoint_dir} exists and was not written by train_summariser.",
                fix="set training.checkpoint_dir to a new or empty directory.",
            )
    else:
        resume = None
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (checkpoint_dir / CHECKPOINT_MARKER).write_text(_marker_payload(config), encoding="utf-8")
    return resume
