"""Corpus runs: analyse thousands of documents into tables that pandas and DuckDB read, resumably.

>>> from stancekit import analyse_corpus
>>> tables = analyse_corpus("articles.jsonl", "runs/corpus", id_column="id", summary=False)  # doctest: +SKIP
>>> tables["statements"].to_pandas().groupby("kind").size()  # doctest: +SKIP

The same run from the command line is ``stancekit corpus articles.jsonl --output-dir runs/corpus``.
"""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.corpus.inputs import CorpusInput, load_corpus
from stancekit.corpus.run import CorpusRun, run_corpus
from stancekit.corpus.tables import (
    DOCUMENTS,
    DOCUMENTS_SCHEMA,
    MANIFEST,
    STATEMENTS,
    STATEMENTS_SCHEMA,
    read_manifest,
    read_table,
)

if TYPE_CHECKING:
    import datasets


def load_tables(output_dir: str | Path) -> datasets.DatasetDict:
    """A run directory's tables as a ``datasets.DatasetDict`` with ``documents`` and ``statements``.

    ``datasets`` has no map type, so ``scores`` becomes a struct with one field per label
    (``row["scores"]["condemnation"]``); the Parquet files keep the map.
    """
    import datasets
    import pyarrow as pa

    out = Path(output_dir)
    documents = read_table(out, DOCUMENTS)
    statements = read_table(out, STATEMENTS)
    scores = statements.column("scores").to_pylist()
    labels = list(dict.fromkeys(label for row in scores for label, _ in row))
    struct = pa.struct([(label, pa.float64()) for label in labels])
    as_struct = (
        pa.array([dict(row) for row in scores], type=struct) if labels else pa.nulls(len(scores), struct)
    )
    statements = statements.set_column(statements.schema.get_field_index("scores"), "scores", as_struct)
    return datasets.DatasetDict(
        {"documents": datasets.Dataset(documents), "statements": datasets.Dataset(statements)}
    )


def _analyse_signature() -> inspect.Signature:
    """run_corpus's typed keywords are the one list of the options: analyse_corpus takes them all but the
    shard size, with ``output_dir`` optional and the progress bar off by default."""
    parameters = inspect.signature(run_corpus).parameters
    changed = {
        "output_dir": parameters["output_dir"].replace(annotation="str | Path | None", default=None),
        "progress": parameters["progress"].replace(default=False),
    }
    return inspect.Signature(
        [changed.get(name, parameter) for name, parameter in parameters.items() if name != "shard_size"],
        return_annotation="datasets.DatasetDict",
    )


def analyse_corpus(
    source: str | Path, output_dir: str | Path | None = None, **options: Any
) -> datasets.DatasetDict:
    """Analyse every document of ``source`` and return the tables as a ``datasets.DatasetDict``.

    Args:
        source: a JSONL, CSV or Parquet file, a folder or glob of ``.txt`` files (id = file name), or a
            directory written by ``datasets.Dataset.save_to_disk``.
        output_dir: the run directory (``documents.parquet``, ``statements.parquet``, ``manifest.json``); an
            unfinished run of the same input and settings there is continued. None: a temporary directory.
        id_column, text_column, date_column: the input's columns; without ``id_column`` rows are numbered.
        summary: also summarise each document (slow on a CPU); summariser/classifier: config names, paths
            or config objects; overrides: ``summariser.KEY=VALUE`` / ``classifier.KEY=VALUE``.
        engine: ``local`` (worker processes) or ``ray`` (Ray Data; ``address`` for an existing cluster).
        workers: worker processes or Ray actors (default: from the cores and the memory).
        progress: a progress bar on stderr.

    Documents that are empty or not decodable are skipped and listed under ``failed`` in the manifest.
    """
    # binding checks the keywords against the signature (an unknown one is a TypeError, as for any function)
    bound = _SIGNATURE.bind(source, output_dir, **options)
    bound.apply_defaults()
    kwargs = {name: value for name, value in bound.arguments.items() if name not in ("source", "output_dir")}
    if output_dir is None:
        with tempfile.TemporaryDirectory(prefix="stancekit-corpus-") as tmp:
            run_corpus(source, tmp, **kwargs)
            return load_tables(tmp)  # read into memory: nothing refers to the directory afterwards
    run_corpus(source, output_dir, **kwargs)
    return load_tables(output_dir)


_SIGNATURE = _analyse_signature()
analyse_corpus.__signature__ = _SIGNATURE  # type: ignore[attr-defined]  # help() and inspect show the options


__all__ = [
    "DOCUMENTS",
    "DOCUMENTS_SCHEMA",
    "MANIFEST",
    "STATEMENTS",
    "STATEMENTS_SCHEMA",
    "CorpusInput",
    "CorpusRun",
    "analyse_corpus",
    "load_corpus",
    "load_tables",
    "read_manifest",
    "read_table",
    "run_corpus",
]
