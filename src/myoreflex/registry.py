"""One registry per kind of swappable thing (protocols, measures, readers, ...), all of one shape.

A :class:`Registry` maps names to objects. An entry is the object itself or the string
``"package.module:attribute"``, imported the first time the entry is used, so that a registry
line costs nothing until it is needed and adding an entry is one line::

    PROTOCOLS = Registry("protocol", {"pendulum": "myoreflex.protocols.pendulum:PendulumTest"})
    PROTOCOLS["pendulum"]        # the class, imported now
    PROTOCOLS.lookup("pendulm")  # ProtocolError: protocol: expected one of pendulum; got 'pendulm'
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from myoreflex.errors import MyoreflexError, ParameterError, describe


class Registry(Mapping):
    """Names to objects (given directly or as ``"module:attribute"``), with aliases and one error shape."""

    def __init__(self, kind: str, entries: Mapping[str, Any], *, aliases: Mapping[str, str] | None = None,
                 error: type[MyoreflexError] = ParameterError):
        self.kind = kind
        self._entries = dict(entries)
        self.aliases = dict(aliases or {})
        self._error = error

    def __getitem__(self, name: str) -> Any:
        entry = self._entries[name]
        if isinstance(entry, str) and ":" in entry:
            module, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(module), attribute)
            self._entries[name] = entry
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._entries)})"

    def lookup(self, name: str) -> Any:
        """The entry named ``name`` or one of its aliases; an unknown name raises the registry's error
        listing the known ones."""
        key = self.aliases.get(name, name)
        if not isinstance(key, str) or key not in self._entries:
            raise self._error(describe(self.kind, f"one of {', '.join(self._entries)}", repr(name)))
        return self[key]

    def register(self, name: str, entry: Any) -> Any:
        """Add (or replace) an entry; returns it."""
        self._entries[name] = entry
        return entry

    def remove(self, name: str) -> None:
        """Take an entry out (a registered plug-in that is done)."""
        self._entries.pop(name, None)
