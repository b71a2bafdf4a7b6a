"""Cheaper apps for the test run: work that is the same for every app is done once per
test process (a pytest plugin, listed in ``tests/conftest.py``).

The suite builds a new app for nearly every test (about 3,000 per run), each on its own
database. Two costs of building one are the same every time and were most of it:

- Werkzeug compiles two URL builders (Python code, through ``ast`` and ``compile``) for
  each of the app's 130-odd routes when a route is added: about 34 ms of the 45 ms that
  ``create_app`` took. :class:`KeptBuilderRule` keeps the compiled builder by everything
  its code is made from (the rule's text and parts, its defaults and converters, and
  whether unknown arguments go to the query string) and hands the same function to the
  next app. The builder reaches the rule's converters through the rule it is bound to,
  so each app still builds with its own.
- Jinja compiles each template to Python code once per app. :class:`SharedBytecode` is
  Jinja's own bytecode-cache interface, in memory and shared by every app of the process;
  Jinja checks each template's source against the checksum it was compiled from.

The app itself runs unchanged: a production process builds one app, so neither would
help it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
import jinja2
from werkzeug.routing import Rule

_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


class KeptBuilderRule(Rule):
    """A route whose URL builders are compiled once per process for all apps."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        key = (
            self.rule,
            tuple(self._trace),
            tuple((name, repr(value)) for name, value in defaults.items()),
            tuple(sorted((name, type(conv)) for name, conv in self._converters.items())),
            append_unknown,
        )
        builder = _builders.get(key)
        if builder is None:
            builder = _builders[key] = super()._compile_builder(append_unknown)
        return builder


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates in memory, for every app of the test process."""

    def __init__(self) -> None:
        self.compiled: dict[str, tuple[str | None, Any]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        kept = self.compiled.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = (bucket.checksum, bucket.code)


flask.Flask.url_rule_class = KeptBuilderRule
flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": SharedBytecode()}
