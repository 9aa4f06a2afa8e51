"""assignments/ is exactly what nbgrader makes of solutions/, imports cleanly and keeps the API."""

import inspect
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import stubs
from autograder.grading.loader import ASSIGNMENTS, SOLUTIONS, Root, reference


def test_assignments_are_up_to_date_and_leak_nothing():
    assert stubs.problems() == []


def test_make_stub_replaces_each_region_like_nbgrader():
    source = "def f(x):\n    '''Doc.'''\n    # Hint\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION\n"
    assert stubs.make_stub(source) == "def f(x):\n    '''Doc.'''\n    # Hint\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"


def test_unbalanced_markers_are_refused():
    with pytest.raises(RuntimeError):
        stubs.make_stub("def f():\n    ### BEGIN SOLUTION\n    return 1\n")


def test_stale_and_orphan_stubs_are_reported(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "m.py").write_text("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    assert stubs.problems(src, dst) == [f"{dst / 'pkg' / 'm.py'}: missing (run `make stubs`)"]
    stubs.generate(src, dst)
    assert stubs.problems(src, dst) == []
    (dst / "pkg" / "m.py").write_text("def f():\n    return 1  # BEGIN SOLUTION leaked\n")
    (dst / "pkg" / "orphan.py").write_text("")
    found = stubs.problems(src, dst)
    assert any("stale" in line for line in found) and any("no solution file" in line for line in found)


def test_stubs_equal_what_nbgrader_generate_assignment_writes(tmp_path):
    """Run the real `nbgrader generate_assignment` on notebooks holding each solution file."""
    course = tmp_path / "course"
    source_dir = course / "source" / "ps"
    source_dir.mkdir(parents=True)
    files = stubs.source_files()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}})
    for i, path in enumerate(files):
        nb.cells.append(stubs.source_cell(path.read_text(encoding="utf-8"), grade_id=f"cell{i}"))
    nbformat.write(nb, source_dir / "ps.ipynb")
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'kit'\n")
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "ps", "--force", "--no-db"],
        cwd=course, check=True, capture_output=True, text=True,
    )
    released = nbformat.read(course / "release" / "ps" / "ps.ipynb", as_version=4)
    for path, cell in zip(files, released.cells):
        stub = (ASSIGNMENTS / path.relative_to(SOLUTIONS)).read_text(encoding="utf-8")
        # nbgrader drops a solution cell's final newline; a file keeps it.
        assert cell.source.rstrip("\n") == stub.rstrip("\n"), f"{path.relative_to(SOLUTIONS)} differs from nbgrader's release"


def public_api(root: Root) -> dict[str, str]:
    """name -> signature (and docstring) of every public function, class and method."""
    api = {}
    for module_name in root._modules:
        module = root[module_name]
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                api[f"{module_name}.{name}"] = f"{inspect.signature(obj)}\n{inspect.getdoc(obj)}"
            elif inspect.isclass(obj):
                api[f"{module_name}.{name}"] = str(inspect.getdoc(obj))
                for meth_name, meth in vars(obj).items():
                    if inspect.isfunction(meth) and (not meth_name.startswith("_") or meth_name == "__init__"):
                        api[f"{module_name}.{name}.{meth_name}"] = f"{inspect.signature(meth)}\n{inspect.getdoc(meth)}"
    return api


def test_stubs_import_and_keep_signatures_and_docstrings():
    stub_root = Root(ASSIGNMENTS)
    ref_api = public_api(reference())
    stub_api = public_api(stub_root)
    assert ref_api, "the reference exposes no public API"
    assert stub_api == ref_api


def test_every_public_function_teaches_with_a_docstring():
    missing = [name for name, text in public_api(reference()).items() if text.endswith("\nNone") or text == "None"]
    assert missing == [], f"no docstring: {missing}"


@pytest.mark.parametrize("path", stubs.source_files(ASSIGNMENTS), ids=lambda p: str(p.relative_to(ASSIGNMENTS)))
def test_stub_regions_say_your_code_here(path: Path):
    solution = (SOLUTIONS / path.relative_to(ASSIGNMENTS)).read_text(encoding="utf-8")
    regions = solution.count("### BEGIN SOLUTION")
    assert path.read_text(encoding="utf-8").count("# YOUR CODE HERE") == regions
