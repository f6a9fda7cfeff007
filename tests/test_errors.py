"""One exception tree: every exception class casegraph defines descends from
CasegraphError and is drawn in loader/errors.py's docstring."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import loader
from loader import errors
from loader.errors import CasegraphError


def _exception_classes() -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for info in pkgutil.walk_packages(loader.__path__, "loader."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("loader"):
                found.add(value)
    return found


def test_every_error_joins_the_tree_and_is_drawn() -> None:
    classes = _exception_classes()
    assert len(classes) > 10  # the walk found them
    # raised by the SIGTERM handler and caught as KeyboardInterrupt is, outside the tree on
    # purpose: an ``except Exception`` must not stop it
    assert errors.Terminated in classes
    assert not issubclass(errors.Terminated, Exception)
    assert "``Terminated`` is not one of them" in " ".join(str(errors.__doc__).split())
    for cls in classes - {errors.Terminated}:
        assert issubclass(cls, CasegraphError), cls
        assert cls.__module__ == "loader.errors", f"{cls.__name__} is defined outside errors.py"
        assert f" {cls.__name__} " in f" {errors.__doc__} ".replace("\n", " "), cls.__name__


def _raised_while_handling(signal: BaseException) -> BaseException:
    """A BufferError raised while the signal was being handled, as the driver's clean-up
    of a connection left mid-message raises it."""
    try:
        try:
            raise signal
        except BaseException:
            raise BufferError("Existing exports of data: object cannot be re-sized")  # noqa: B904
    except BufferError as exc:
        return exc


def test_an_error_raised_while_handling_a_signal_is_the_signal() -> None:
    from loader.errors import Terminated, signal_exit_code, signal_in

    term = Terminated()
    after = _raised_while_handling(term)
    assert signal_in(after) is term
    assert signal_exit_code(after) == 143
    interrupt = KeyboardInterrupt()
    assert signal_in(_raised_while_handling(interrupt)) is interrupt
    assert signal_exit_code(_raised_while_handling(interrupt)) == 130
    # an error with no signal behind it is an error
    plain = _raised_while_handling(ValueError("no signal"))
    assert signal_in(plain) is None
    assert signal_in(None) is None
