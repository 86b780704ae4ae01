"""A notebook file is recognised as nbformat reads one, without importing nbformat."""

from __future__ import annotations

import json
import os
from typing import Any

import nbformat
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from jupyter_artifacts.capture.notebook_doc import is_notebook_document

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8)
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_N", "60")) * 3, deadline=None)


@FUZZ
@given(sources=st.lists(st.tuples(st.booleans(), st.text(max_size=20)), max_size=4))
def test_notebooks_nbformat_writes_are_notebooks(sources: list[tuple[bool, str]]) -> None:
    nb = new_notebook(cells=[new_code_cell(s) if code else new_markdown_cell(s) for code, s in sources])
    assert is_notebook_document(nbformat.writes(nb).encode())


@FUZZ
@given(doc=json_values, version=st.one_of(st.integers(1, 5), json_values), cells=json_values,
       key=st.sampled_from(["cells", "worksheets"]))
def test_a_notebook_is_an_object_with_a_version_and_a_list_of_cells(
        doc: Any, version: Any, cells: Any, key: str) -> None:
    """Random JSON, and objects with any ``nbformat`` and ``cells``: never an error; a
    notebook only with an integer version and a list of cells (worksheets before v4)."""
    if isinstance(doc, dict):
        doc = {**{k: v for k, v in doc.items() if k not in ("cells", "worksheets")},
               "nbformat": version, key: cells}
    expected = isinstance(doc, dict) and type(version) is int and isinstance(cells, list)
    assert is_notebook_document(json.dumps(doc).encode()) == expected


@FUZZ
@given(data=st.binary(max_size=64))
def test_bytes_are_never_an_error(data: bytes) -> None:
    assert is_notebook_document(data) in (True, False)
