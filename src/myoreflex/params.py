"""Parameter metadata and the operations every parameter tree shares.

Each physiological part declares its parameters as an ``equinox.Module`` (a frozen dataclass that
is also a JAX pytree). Every physical field is declared with :func:`param`, which records its unit,
plausible bounds and source; structural choices (which model variant, buffer lengths) use
:func:`choice` and are static, so they pick code at trace time and are never traced.

The metadata feeds the parameter table (``myoreflex params``), validation messages, the fit's
bounds and the property tests that draw parameters inside their bounds.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import numpy as np

from myoreflex.errors import ParameterError, describe


def param(default: float, *, unit: str, bounds: tuple[float, float], source: str, doc: str = ""):
    """Declare a physical (traced) parameter with its unit, plausible bounds and source.

    ``bounds`` are the documented range inside which the model is meant to run; the property
    tests draw from it and :func:`validate` enforces it.
    """
    low, high = bounds
    if not low <= default <= high:
        raise ParameterError(describe("parameter default", f"inside [{low}, {high}]", default))
    return eqx.field(
        default=float(default),
        metadata={"unit": unit, "bounds": (float(low), float(high)), "source": source, "doc": doc},
    )


def choice(default: Any, *, options: Sequence[Any] | None = None, doc: str = ""):
    """Declare a structural (static) field: it selects code and is never traced or batched."""
    return eqx.field(default=default, static=True, metadata={"options": options, "doc": doc})


class ParamInfo(NamedTuple):
    """One row of the parameter table."""

    path: str
    value: Any
    unit: str
    bounds: tuple[float, float]
    source: str
    doc: str


def _walk(tree: eqx.Module, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field, Any]]:
    for field in dataclasses.fields(tree):
        value = getattr(tree, field.name)
        path = f"{prefix}{field.name}"
        if isinstance(value, eqx.Module):
            yield from _walk(value, path + ".")
        else:
            yield path, field, value


def parameter_table(tree: eqx.Module) -> list[ParamInfo]:
    """Every physical parameter of a tree with its metadata, in declaration order."""
    rows = []
    for path, field, value in _walk(tree):
        if "unit" in field.metadata:
            meta = field.metadata
            rows.append(ParamInfo(path, value, meta["unit"], meta["bounds"], meta["source"], meta["doc"]))
    return rows


def _lookup(tree: eqx.Module, path: str):
    node = tree
    for part in path.split("."):
        if not isinstance(node, eqx.Module) or part not in {f.name for f in dataclasses.fields(node)}:
            known = [p for p, _, _ in _walk(tree)]
            close = difflib.get_close_matches(path, known, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see `myoreflex params`"
            raise ParameterError(describe("parameter path", "a known dotted path", repr(path), hint))
        node = getattr(node, part)
    return node


def get_param(tree: eqx.Module, path: str) -> Any:
    """The value at a dotted path, e.g. ``get_param(p, "spindle.gamma_dynamic")``."""
    return _lookup(tree, path)


def _field(tree: eqx.Module, path: str) -> dataclasses.Field:
    """The dataclass field a (known) dotted path ends in."""
    parent_path, _, name = path.rpartition(".")
    parent = _lookup(tree, parent_path) if parent_path else tree
    return next(field for field in dataclasses.fields(parent) if field.name == name)


def _replace_at(tree: eqx.Module, names: Sequence[str], value: Any) -> eqx.Module:
    """A copy of ``tree`` with the field at ``names`` (a split dotted path) replaced."""
    head, *rest = names
    child = _replace_at(getattr(tree, head), rest, value) if rest else value
    return dataclasses.replace(tree, **{head: child})


def with_overrides(tree: eqx.Module, overrides: Mapping[str, Any], *, check: bool = True):
    """A copy of ``tree`` with dotted-path values replaced; unknown paths list close matches.

    Structural choices are replaced too (``{"agonist.tendon": "rigid"}``), checked against their
    options.
    """
    for path, value in overrides.items():
        _lookup(tree, path)
        field = _field(tree, path)
        if "options" in field.metadata:  # a static choice: not a leaf, so rebuild the path
            options = field.metadata["options"]
            if options is not None and value not in options:
                raise ParameterError(describe(f"parameter `{path}`", f"one of {', '.join(map(str, options))}",
                                              repr(value)))
            tree = _replace_at(tree, path.split("."), value)
        else:
            tree = eqx.tree_at(lambda t, p=path: _lookup(t, p), tree, value)
    if check:
        validate(tree)
    return tree


def validate(tree: eqx.Module) -> eqx.Module:
    """Raise :class:`ParameterError` for any physical parameter outside its documented bounds.

    Skips traced values (validation belongs at the boundary, never inside ``jit``).
    """
    for row in parameter_table(tree):
        low, high = row.bounds
        if isinstance(row.value, float):  # the common case, without NumPy (simulate calls this each time)
            if math.isfinite(row.value) and low <= row.value <= high:
                continue
            bad = row.value
        elif isinstance(row.value, jax.core.Tracer):
            continue
        else:
            values = np.asarray(row.value, dtype=float)
            inside = np.isfinite(values) & (values >= low) & (values <= high)
            if np.all(inside):
                continue
            bad = values[~inside].ravel()[0]
        raise ParameterError(
            describe(f"parameter `{row.path}`", f"a value in [{low:g}, {high:g}] {row.unit}", f"{bad:g}")
        )
    return tree


def stack_params(trees: Sequence[eqx.Module]) -> eqx.Module:
    """A batch of parameter sets: the same tree with a leading axis on every traced leaf.

    The leaves are NumPy float64 arrays on the host (JAX arrays are made where myoreflex computes,
    in float64; :mod:`myoreflex.runtime`).
    """
    if not trees:
        raise ParameterError(describe("stack_params", "at least one parameter set", "none"))
    return jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(x, dtype=float) for x in leaves]), *trees)


def unstack_params(batch: eqx.Module) -> list[eqx.Module]:
    """The inverse of :func:`stack_params`."""
    leaves, treedef = jax.tree_util.tree_flatten(batch)
    size = len(leaves[0])
    return [jax.tree_util.tree_unflatten(treedef, [leaf[i] for leaf in leaves]) for i in range(size)]


def batch_size(tree: eqx.Module) -> int | None:
    """Leading-axis length of a batched tree, or ``None`` for a single parameter set."""
    leaves = jax.tree_util.tree_leaves(tree)
    shapes = {np.shape(leaf) for leaf in leaves}
    if shapes <= {()}:
        return None
    sizes = {shape[0] for shape in shapes if shape}
    if len(sizes) != 1 or () in shapes:
        raise ParameterError(describe("parameter batch", "every leaf with the same leading axis", sorted(shapes)))
    return sizes.pop()
