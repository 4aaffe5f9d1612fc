"""Checks on the arrays a saved model reads back, so that damaged weights fail at load time.

``Recommender.load`` turns the ``ValueError`` (wrong shape or dtype) or ``KeyError`` (missing
array) raised here into a ``DamagedArtifactError`` naming the weights file; without these checks a
foreign or truncated array surfaces later as an unexplained scipy or numpy error. Shape legend:
R rows, C columns, E stored entries.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: dtype kinds (``numpy.dtype.kind``) accepted per expectation, with their wording.
_KINDS = {
    "f": "a float array",
    "i": "an integer array",
    "fi": "a numeric array",
    "b": "a boolean array",
}


def expect_array(
    state: dict[str, np.ndarray], name: str, shape: tuple[int | None, ...], kind: str = "f"
) -> np.ndarray:
    """``state[name]`` when it has ``shape`` (None: any length on that axis) and dtype ``kind``.

    Args:
        state: the arrays read from the weights file.
        name: the array's key.
        shape: the expected shape, e.g. ``(n_items,)`` or ``(n_items, None)``.
        kind: ``"f"`` float, ``"i"`` integer (signed or unsigned), ``"fi"`` either, ``"b"``
            boolean.

    Raises:
        KeyError: the array is missing.
        ValueError: it has another shape or dtype.
    """
    array = state[name]
    if array.ndim != len(shape) or any(
        want is not None and want != got for want, got in zip(shape, array.shape, strict=True)
    ):
        wanted = "(" + ", ".join("any" if n is None else str(n) for n in shape)
        wanted += ",)" if len(shape) == 1 else ")"
        raise ValueError(f"{name} has shape {array.shape} where {wanted} was expected")
    accepted = kind.replace("i", "iu")
    if array.dtype.kind not in accepted:
        raise ValueError(f"{name} has dtype {array.dtype} where {_KINDS[kind]} was expected")
    return array


def csr_from_arrays(
    prefix: str,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray | None,
    shape: tuple[int, int],
) -> sp.csr_matrix:
    """An (R, C) CSR matrix from its saved arrays, checked first (``data`` None: all ones).

    Raises:
        ValueError: (R + 1,) ``indptr`` that does not start at 0, decrease nowhere and end at
            E, (E,) ``indices`` outside [0, C), or (E,) ``data`` of another length.
    """
    rows, columns = shape
    state = {f"{prefix}.indptr": indptr, f"{prefix}.indices": indices}
    expect_array(state, f"{prefix}.indptr", (rows + 1,), "i")
    n_stored = int(indptr[-1])
    expect_array(state, f"{prefix}.indices", (n_stored,), "i")
    if indptr[0] != 0 or (np.diff(indptr) < 0).any():
        raise ValueError(f"{prefix}.indptr does not describe {rows} rows (it must rise from 0)")
    if n_stored and (indices.min() < 0 or indices.max() >= columns):
        raise ValueError(f"{prefix}.indices fall outside [0, {columns})")
    if data is None:
        data = np.ones(n_stored, dtype=np.float32)
    else:
        expect_array({f"{prefix}.data": data}, f"{prefix}.data", (n_stored,), "fi")
    return sp.csr_matrix((data, indices, indptr), shape=shape)


def csr_from_state(
    prefix: str, state: dict[str, np.ndarray], shape: tuple[int, int]
) -> sp.csr_matrix:
    """The (R, C) CSR matrix saved as ``prefix.indptr/indices/data`` (``csr_to_state``)."""
    return csr_from_arrays(
        prefix,
        state[f"{prefix}.indptr"],
        state[f"{prefix}.indices"],
        state[f"{prefix}.data"],
        shape,
    )
