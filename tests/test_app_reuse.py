"""The test run's shared builders and templates (tests/support/app_reuse.py) change no URL
and no page: they only spare compiling the same code again for the next app."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from jinja2 import DictLoader, Environment
from werkzeug.routing import AnyConverter, Map, Rule

from tests.support.app_reuse import KeptBuilderRule, SharedBytecode


def stock_copy(rule: Rule) -> Rule:
    """The same route as a plain Werkzeug rule, which compiles its own builders."""
    return Rule(
        rule.rule,
        endpoint=rule.endpoint,
        defaults=rule.defaults,
        methods=rule.methods,
        strict_slashes=rule.strict_slashes,
        merge_slashes=rule.merge_slashes,
        subdomain=rule.subdomain,
        host=rule.host,
    )


def sample(rule: Rule, name: str) -> object:
    """A value this route's converter for ``name`` accepts."""
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[-1]
    return 7


def test_every_route_of_a_second_app_builds_the_urls_werkzeug_itself_builds(
    make_app: Callable[..., Flask],
) -> None:
    first, second = make_app(), make_app()
    rules = list(second.url_map.iter_rules())
    stock = Map([stock_copy(rule) for rule in rules], converters=second.url_map.converters)
    stock_rules = list(stock.iter_rules())
    assert len(rules) > 100
    shared = 0
    for kept, plain, earlier in zip(rules, stock_rules, first.url_map.iter_rules(), strict=True):
        assert isinstance(kept, KeptBuilderRule)
        assert type(plain) is Rule
        values = {name: sample(kept, name) for name in kept.arguments}
        extra = {**values, "unknown": "é", "q": "a b"}
        assert kept.build(values) == plain.build(values)
        assert kept.build(extra) == plain.build(extra)
        assert kept.build(extra, append_unknown=False) == plain.build(extra, append_unknown=False)
        shared += kept._build.__func__ is earlier._build.__func__  # type: ignore[attr-defined]
    # The second app compiled nothing: every builder is the first app's.
    assert shared == len(rules)


def test_a_template_whose_source_changed_is_compiled_again() -> None:
    cache = SharedBytecode()
    sources = {"page.html": "Hello {{ name }}"}
    one = Environment(loader=DictLoader(sources), bytecode_cache=cache, autoescape=True)
    assert one.get_template("page.html").render(name="Ada") == "Hello Ada"
    two = Environment(loader=DictLoader(sources), bytecode_cache=cache, autoescape=True)
    assert two.get_template("page.html").render(name="Ada") == "Hello Ada"
    assert len(cache.compiled) == 1
    sources["page.html"] = "Bonjour {{ name }}"
    three = Environment(loader=DictLoader(sources), bytecode_cache=cache, autoescape=True)
    assert three.get_template("page.html").render(name="Ada") == "Bonjour Ada"
