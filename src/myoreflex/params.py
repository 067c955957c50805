"""Parameter metadata and the operations every parameter tree shares.

Each physiological part declares its parameters as an ``equinox.Module`` (a frozen dataclass that
is also a JAX pytree). Every physical field is declared with :func:`param`, which records its unit,
plausible bounds and source; structural options (the joint, the muscles' names) use :func:`choice`
and are static, so they pick code at trace time and are never traced. A model variant is a class
of its own (a spindle, tendon or feedback model): its type picks the code and it holds its own
parameters only; :func:`recast` turns a tree into a sibling class.

The metadata feeds the parameter table (``myoreflex params``), validation messages, the fit's
bounds and the property tests that draw parameters inside their bounds.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import typing
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
    """Declare a structural (static) field: it selects code and is never traced or batched.

    ``options`` are enforced when a tree is built, by :func:`check_choices` in the class's
    ``__check_init__``.
    """
    return eqx.field(default=default, static=True, metadata={"options": options, "doc": doc})


def check_choices(tree: eqx.Module) -> None:
    """Raise :class:`ParameterError` where a :func:`choice` field holds a value outside its options.

    Examples
    --------
    >>> class Side(eqx.Module):
    ...     side: str = choice("left", options=("left", "right"))
    ...     def __check_init__(self):
    ...         check_choices(self)
    >>> Side("up")
    Traceback (most recent call last):
    ...
    myoreflex.errors.ParameterError: parameter `side`: expected one of left, right; got 'up'
    """
    for field in dataclasses.fields(tree):
        options = field.metadata.get("options")
        value = getattr(tree, field.name)
        if options is not None and value not in options:
            raise ParameterError(describe(f"parameter `{field.name}`", f"one of {', '.join(map(str, options))}",
                                          repr(value)))


@functools.cache
def part_classes(cls: type) -> dict[str, type]:
    """The fields of ``cls`` declared as a parameter class (an ``equinox.Module``), with that class.

    Examples
    --------
    >>> from myoreflex.model import SpinalLoop
    >>> part_classes(SpinalLoop)["spindle"].__name__
    'SpindleModel'
    """
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)
            if isinstance(hints.get(field.name), type) and issubclass(hints[field.name], eqx.Module)}


def check_parts(tree: eqx.Module) -> None:
    """Raise :class:`ParameterError` where a part holds something other than its declared class
    (a subclass, such as a model variant, is that class).

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> import dataclasses
    >>> dataclasses.replace(default_params("knee"), spindle="prochazka")
    Traceback (most recent call last):
    ...
    myoreflex.errors.ParameterError: parameter `spindle`: expected a SpindleModel; got str. ...
    """
    for name, cls in part_classes(type(tree)).items():
        value = getattr(tree, name)
        if not isinstance(value, cls):
            raise ParameterError(describe(f"parameter `{name}`", f"a {cls.__name__}", type(value).__name__,
                                          "variants are classes: see myoreflex.model.default_params"))


class ParamInfo(NamedTuple):
    """One row of the parameter table."""

    path: str
    value: Any
    unit: str
    bounds: tuple[float, float]
    source: str
    doc: str


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field, ...]:
    """``dataclasses.fields`` of a parameter class, once per class (validate walks every tree it runs)."""
    return dataclasses.fields(cls)


def _walk(tree: eqx.Module, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field, Any]]:
    for field in _fields(type(tree)):
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
    if not has_param(tree, path):
        known = [p for p, _, _ in _walk(tree)]
        close = difflib.get_close_matches(path, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `myoreflex params`"
        raise ParameterError(describe("parameter path", "a known dotted path", repr(path), hint))
    node = tree
    for part in path.split("."):
        node = getattr(node, part)
    return node


def get_param(tree: eqx.Module, path: str) -> Any:
    """The value at a dotted path, e.g. ``get_param(p, "descending.gamma_dynamic")``."""
    return _lookup(tree, path)


def has_param(tree: eqx.Module, path: str) -> bool:
    """Whether a dotted path names a field of ``tree`` (a variant holds its own parameters only).

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> has_param(default_params("knee"), "spindle.occlusion")
    True
    >>> has_param(default_params("knee", spindle="prochazka"), "spindle.occlusion")
    False
    """
    node = tree
    for part in path.split("."):
        if not isinstance(node, eqx.Module) or part not in {f.name for f in dataclasses.fields(node)}:
            return False
        node = getattr(node, part)
    return True


def _field(tree: eqx.Module, path: str) -> dataclasses.Field:
    """The dataclass field a (known) dotted path ends in."""
    parent_path, _, name = path.rpartition(".")
    parent = _lookup(tree, parent_path) if parent_path else tree
    return next(field for field in dataclasses.fields(parent) if field.name == name)


def bounds_of(tree: eqx.Module, path: str) -> tuple[float, float]:
    """The declared bounds of the parameter at ``path`` (:func:`param`).

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> bounds_of(default_params("knee"), "limb.damping")
    (0.0, 5.0)
    """
    return _field(tree, path).metadata["bounds"]


def _replace_at(tree: eqx.Module, names: Sequence[str], value: Any) -> eqx.Module:
    """A copy of ``tree`` with the field at ``names`` (a split dotted path) replaced."""
    head, *rest = names
    child = _replace_at(getattr(tree, head), rest, value) if rest else value
    return dataclasses.replace(tree, **{head: child})


def with_overrides(tree: eqx.Module, overrides: Mapping[str, Any], *, check: bool = True):
    """A copy of ``tree`` with dotted-path values replaced; unknown paths list close matches.

    Static fields and whole parts are replaced too (``{"muscle_names": ("soleus",
    "tibialis_anterior")}``, ``{"spindle": ProchazkaSpindle()}``): the path is rebuilt, so the
    classes on it check them. To change a model variant keeping the subject's values, see
    :func:`myoreflex.model.with_variants`.
    """
    for path, value in overrides.items():
        current = _lookup(tree, path)
        if _field(tree, path).metadata.get("static") or isinstance(current, eqx.Module):  # rebuilt, so checked
            tree = _replace_at(tree, path.split("."), value)
        else:
            tree = eqx.tree_at(lambda t, p=path: _lookup(t, p), tree, value)
    if check:
        validate(tree)
    return tree


def scaled(tree: eqx.Module, path: str, factor: float) -> eqx.Module:
    """A copy of ``tree`` with the number at ``path`` times ``factor``, kept the same kind of number
    (a Python float stays one): a compiled function that takes the tree as an argument runs on the
    copy without compiling again, as it would for a NumPy float in place of a Python one.

    >>> from myoreflex.model import default_params
    >>> type(get_param(scaled(default_params("knee"), "limb.inertia", 1.01), "limb.inertia"))
    <class 'float'>
    """
    return with_overrides(tree, {path: _lookup(tree, path) * float(factor)}, check=False)


def recast(tree: eqx.Module, cls: type, fill: eqx.Module) -> eqx.Module:
    """A ``cls`` (a sibling variant of ``tree``'s class) with the fields the two share taken from
    ``tree`` and the others from ``fill`` (a ``cls``); a shared part that ``cls`` declares with
    another class is recast the same way, from ``fill``'s part.

    Examples
    --------
    >>> from myoreflex.physiology.muscle import CompliantTendonMuscle, RigidTendonMuscle
    >>> strong = CompliantTendonMuscle(max_isometric_force=5000.0)
    >>> recast(strong, RigidTendonMuscle, RigidTendonMuscle()).max_isometric_force
    5000.0
    """
    if isinstance(tree, cls):
        return tree
    shared = {field.name for field in dataclasses.fields(tree)}
    parts = part_classes(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        value = getattr(tree if field.name in shared else fill, field.name)
        if field.name in parts and not isinstance(value, parts[field.name]):
            model = getattr(fill, field.name)
            value = recast(value, type(model), model)
        values[field.name] = value
    return cls(**values)


def _modules(tree: eqx.Module, prefix: str = "") -> Iterator[tuple[str, eqx.Module]]:
    """Every part of ``tree`` (the tree itself first) with its dotted path: the fields declared as
    parameter classes (:func:`part_classes`), which :func:`check_parts` keeps so."""
    yield prefix, tree
    for name in part_classes(type(tree)):
        yield from _modules(getattr(tree, name), f"{prefix}.{name}" if prefix else name)


def validate(tree: eqx.Module) -> eqx.Module:
    """Raise :class:`ParameterError` for any physical parameter outside its documented bounds, or any
    parameter class whose values break a relation between them.

    A class declares its relations in a ``check_relations(path)`` method that raises
    :class:`ParameterError` (e.g. :meth:`myoreflex.physiology.limb.LimbParams.check_relations`:
    a segment's inertia about the joint is at least ``m l_c^2``). Skips traced values (validation
    belongs at the boundary, never inside ``jit``).
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
    for path, module in _modules(tree):
        check = getattr(type(module), "check_relations", None)  # the function: binding an equinox method costs 25 us
        if check is not None:
            check(module, path)
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
