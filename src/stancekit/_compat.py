"""Old module paths from before the package layout (issue 9), kept importable.

``stancekit.classify``, ``stancekit.segment``, ``stancekit.metrics`` and the other flat modules moved into
sub-packages. Importing an old path gives a module that finds each name in the modules that now hold it, so
code written against the flat layout keeps working. New code should import from the new homes.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

# old module -> the modules that hold its names now, searched in order
MOVED: dict[str, tuple[str, ...]] = {
    "classify": (
        "stancekit.statements.classifiers",
        "stancekit.statements.classifiers.base",
        "stancekit.statements.classifiers.config",
        "stancekit.models.device",
    ),
    "classify_eval": ("stancekit.evaluation.classification",),
    "data": ("stancekit.statements.data",),
    "baselines": ("stancekit.summarise.extractive", "stancekit.evaluation.baselines"),
    "embedded": ("stancekit.models.embedded",),
    "loading": ("stancekit.models.reference",),
    "metrics": ("stancekit.evaluation.metrics",),
    "segment": ("stancekit.statements.segment", "stancekit.statements.speakers"),
    "stance": ("stancekit.summarise.stance", "stancekit.evaluation.stance_preservation"),
    "stats": ("stancekit.evaluation.statistics",),
    "summary_data": ("stancekit.summarise.data",),
    "taxonomy": ("stancekit.statements.taxonomy",),
    "train_summariser": (
        "stancekit.training.summariser",
        "stancekit.training.summariser_config",
        "stancekit.training.summary_features",
        "stancekit.training.checkpoints",
        "stancekit.training.model_cards",
    ),
    "training": (
        "stancekit.training.classifier",
        "stancekit.statements.classifiers.config",
        "stancekit.training.model_cards",
    ),
}


def find_in(homes: tuple[str, ...], module_name: str, name: str) -> Any:
    """``name`` from the first of ``homes`` (module paths, imported on demand) that has it."""
    for home in homes:
        module = importlib.import_module(home)
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {module_name!r} has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rsplit(".", 1)[1])(*args, **kwargs)


class MovedModule(_CallableModule):
    """A flat-layout module: each attribute is looked up in the modules that hold it now.

    ``stancekit.classify`` and ``stancekit.segment`` were both a module and a function of the same name, so
    calling the module calls the function, whichever of the two an import gave.
    """

    __homes__: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        return find_in(self.__homes__, self.__name__, name)


def make_callable(module_name: str) -> None:
    """``stancekit.analyse`` is a module and the function of the same name: once the module is imported,
    Python binds the package attribute to the module, so ``from stancekit import analyse`` gives the module.
    Calling the module calls the function, whichever was imported first."""
    sys.modules[module_name].__class__ = _CallableModule


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, leaf = fullname.rpartition(".")
        if package != "stancekit" or leaf not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = MovedModule(spec.name)
        module.__homes__ = MOVED[spec.name.rsplit(".", 1)[1]]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def install() -> None:
    """Make the old paths importable (idempotent)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
