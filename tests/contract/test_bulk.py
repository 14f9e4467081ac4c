"""`bulk_build` pauses the cyclic collector only while the function runs, and always restores it."""

from __future__ import annotations

import gc

import pytest

from secretwarden.contract.bulk import bulk_build


@bulk_build
def inner() -> bool:
    return gc.isenabled()


@bulk_build
def outer() -> tuple[bool, bool]:
    return inner(), gc.isenabled()


@bulk_build
def failing() -> None:
    raise ValueError("boom")


def test_paused_inside_restored_after_even_when_nested() -> None:
    assert gc.isenabled()
    assert outer() == (False, False)
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    with pytest.raises(ValueError):
        failing()
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        assert inner() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
