"""Probes specific to the embeddings exercises (see :mod:`autograder.runtime.probes`).

Two things cannot cross the process boundary as they are: files (the worker has its own private
working copy, so the grader cannot share a path with student code) and matplotlib objects. These
probes turn both into plain data beside the student's code:

- :func:`files_roundtrip`: write given files into a fresh temporary directory, call the student's
  functions on paths inside it (``load_vectors``, ``save_vectors``), and send back what they returned
  and the bytes of every file the directory then holds; the grader parses them in its own process;
- :func:`plot_labels`: call ``plot_embeddings`` with the Agg backend and send back its text labels and
  drawn points in data coordinates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from autograder.runtime.probes.registry import Resolve, probe

MAX_FILE_BYTES = 1 << 20  # a vectors file of the suites is a few kB; a runaway write is not sent back whole


def _plain_name(name: str) -> str:
    if not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"file names must be plain names inside the temporary directory, got {name!r}")
    return name


@probe
def files_roundtrip(resolve: Resolve, files: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Run file-reading/-writing student functions in a fresh temporary directory.

    - ``files``: name -> content, written before the calls: a ``str`` is written as UTF-8 exactly
      as given (no newline translation), a uint8 array as raw bytes;
    - ``calls``: ``[{"target": "embeddings.pretrained:save_vectors", "path": "out.txt", "args": [...],
      "kwargs": {...}}, ...]`` run in order; each target gets the absolute path (a ``str``) of
      ``path`` inside the directory as its first argument, then ``args`` and ``kwargs``. An exception
      of student code ends the probe (it reaches the test as a ``StudentError``).

    Returns ``{"results": [what each call returned], "files": {name: uint8 array of the bytes}}``
    for every regular file in the directory after the calls (a file over ``MAX_FILE_BYTES`` is cut there).
    """
    with tempfile.TemporaryDirectory(prefix="eat-files-") as tmp:
        root = Path(tmp)
        for name, content in files.items():
            data = (
                content.encode("utf-8") if isinstance(content, str) else np.asarray(content, dtype=np.uint8).tobytes()
            )
            (root / _plain_name(name)).write_bytes(data)
        results = []
        for c in calls:
            fn = resolve(c["target"])
            results.append(fn(str(root / _plain_name(c["path"])), *c.get("args", []), **c.get("kwargs", {})))
        written = {}
        for p in sorted(root.iterdir()):
            if p.is_file() and not p.is_symlink():
                with open(p, "rb") as f:
                    written[p.name] = np.frombuffer(f.read(MAX_FILE_BYTES), dtype=np.uint8).copy()
    return {"results": results, "files": written}


@probe
def plot_labels(
    resolve: Resolve, target: str, args: list[Any], kwargs: dict[str, Any], pass_ax: bool = False
) -> dict[str, Any]:
    """Call a plotting function (e.g. ``plot_embeddings``) on the Agg backend; describe the Axes it returns.

    ``pass_ax``: create a figure first and pass its axes as ``ax=``. Returns
    ``{"type": type name of the result, "is_axes", "same_axes" (the result is the axes passed in),
    "labels": [{"text", "x", "y"}] (each text of the axes; x, y: the point it labels in data coordinates:
    an annotation's ``xy``, a plain text's position), "points": float64 (P, 2) (scatter offsets and line
    vertices, data coordinates)}``. All figures are closed afterwards.
    """
    import matplotlib

    backend = matplotlib.get_backend()  # restored afterwards: in a notebook later figures must still show
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.text import Annotation

    plt.close("all")
    try:
        given = None
        if pass_ax:
            _, given = plt.subplots()
            kwargs = {**kwargs, "ax": given}
        result = resolve(target)(*args, **kwargs)
        out: dict[str, Any] = {
            "type": type(result).__name__,
            "is_axes": isinstance(result, Axes),
            "same_axes": result is given,
        }
        if not isinstance(result, Axes):
            return {**out, "labels": [], "points": np.zeros((0, 2))}
        to_data = result.transData.inverted()
        labels = []
        for t in result.texts:
            if isinstance(t, Annotation) and t.xycoords == "data":
                x, y = t.xy
            elif isinstance(t, Annotation):
                x, y = to_data.transform(t._get_xy_display())  # type: ignore[attr-defined]
            else:
                x, y = to_data.transform(t.get_transform().transform(t.get_position()))
            labels.append({"text": str(t.get_text()), "x": float(x), "y": float(y)})
        points = [np.asarray(c.get_offsets(), dtype=np.float64).reshape(-1, 2) for c in result.collections]
        points += [np.asarray(line.get_xydata(), dtype=np.float64).reshape(-1, 2) for line in result.lines]
        out["labels"] = labels
        out["points"] = np.concatenate(points) if points else np.zeros((0, 2))
        return out
    finally:
        plt.close("all")
        matplotlib.use(backend, force=True)
