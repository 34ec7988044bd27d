"""The package root's public API: every name in ``framework.__all__`` loads on first use, from its module.

Names load lazily (a cold start imports only what a handler touches), so each test first drops the
names already loaded in this process, then reads them as a user's ``from framework import X`` would.
"""

from __future__ import annotations

import sys

import pytest

import framework


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in framework.__all__:
        monkeypatch.delitem(vars(framework), name, raising=False)


def test_every_export_loads_from_the_module_that_defines_it_and_stays_loaded(unloaded: None) -> None:
    assert not set(framework.__all__) & set(vars(framework))
    aliases = {"Upsert": "framework.upserts", "Write": "framework.upserts",  # type aliases: no __module__
               "Version": "framework.versions"}
    for name in framework.__all__:
        value = getattr(framework, name)
        module = aliases.get(name) or value.__module__
        assert name in aliases or value.__name__ == name
        assert value is getattr(sys.modules[module], name)
        assert vars(framework)[name] is value  # loaded once, then an ordinary attribute
    from framework import GraphWorker, Vertex, edge_id
    assert (GraphWorker.__module__, Vertex.__module__, edge_id.__module__) == (
        "framework.worker", "framework.upserts", "framework.upserts")


def test_an_unknown_name_is_an_attribute_error_naming_it(unloaded: None) -> None:
    with pytest.raises(AttributeError, match=r"^module 'framework' has no attribute 'Nope'$"):
        framework.Nope  # noqa: B018
    with pytest.raises(ImportError):
        from framework import Nope  # noqa: F401


def test_dir_lists_every_export_before_it_is_loaded(unloaded: None) -> None:
    listed = dir(framework)
    assert set(framework.__all__) <= set(listed)
    assert listed == sorted(listed) and len(listed) == len(set(listed))
