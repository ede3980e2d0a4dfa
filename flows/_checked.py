"""Flows that check their arguments before a run exists, and keep credentials hidden in
URLs out of the run's stored parameters.

Prefect creates a flow run, with its parameters, before the flow's body runs: a bad setting
found in the body is a failed run with a traceback in its log, and a URL such as
`s3://KEY:SECRET@bucket/x.csv` is stored among the run's parameters for anyone who can read
the run. `checked_flow` makes a `Flow` whose call first runs a check of the arguments (a
user error raises before any run is created; a text argument that is a URL carrying
credentials is refused first of all), and whose stored parameters have every URL's
credentials redacted (`dial_lists.redact_url`). The flow's body checks again: a deployment's
worker starts runs without the call.

This module leans on two behaviours of Prefect 3.9 (`Flow.__call__` starts the run;
`Flow.serialize_parameters` is what the engine stores with a new run); its test checks both.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect import Flow
from prefect.exceptions import ParameterTypeError

from tasks.masking import mask_phone


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return []


def _masked(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [mask_phone(item) for item in value]
    return value if value is None else mask_phone(value)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        from dial_lists import redact_url  # see `CheckedFlow.check_call`

        return redact_url(value)
    if isinstance(value, list | tuple):
        return type(value)(_redacted(item) for item in value)
    return value


class CheckedFlow(Flow):
    """A `Flow` with an argument check before its run and redacted stored parameters."""

    check: Callable[..., None] | None = None
    # Parameters holding phone numbers: stored with only their last four digits.
    phones: tuple[str, ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.check_call(*args, **kwargs)
        return super().__call__(*args, **kwargs)

    def check_call(self, *args: Any, **kwargs: Any) -> None:
        """The checks a call runs before its run exists, alone.

        Raises:
            ValueError: A setting the check refuses (or a URL carrying credentials).
            prefect.exceptions.ParameterTypeError: A value Prefect's validation refuses.
        """
        if self.check is not None:
            prefect_options = {"return_state", "wait_for"}
            given = {key: value for key, value in kwargs.items() if key not in prefect_options}
            bound = inspect.signature(self.fn).bind(*args, **given)
            bound.apply_defaults()
            # Imported here: the flows that are checked read contact files, and `dial_lists`
            # brings pandas and pyarrow (0.4 s), which a process with only the monitoring
            # flows (`flows._cli` imports this module) would otherwise import.
            from dial_lists import check_source_url

            # First of all: Prefect logs every parameter of a call its validation refuses.
            for value in bound.arguments.values():
                for text in _texts(value):
                    check_source_url(text)
            # The values as the run will see them ("2026-11-30" a date), by Prefect's own
            # validation; a value it refuses is first given to the check, whose error names
            # it best, then refused as Prefect would (ParameterTypeError).
            try:
                with _quiet(logging.getLogger("prefect.flows")):  # the caller gets the error
                    values = self.validate_parameters(dict(bound.arguments))
            except ParameterTypeError:
                self.check(**bound.arguments)
                raise
            self.check(**values)

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        redacted = {
            key: _masked(value) if key in self.phones else _redacted(value)
            for key, value in parameters.items()
        }
        return super().serialize_parameters(redacted)

    def with_options(self, **options: Any) -> CheckedFlow:
        made = super().with_options(**options)
        made.__class__ = type(self)
        made.check = self.check
        made.phones = self.phones
        return made


def checked_flow(
    *, check: Callable[..., None] | None = None, phones: tuple[str, ...] = (), **options: Any
) -> Callable[[Callable[..., Any]], CheckedFlow]:
    """`prefect.flow(**options)`, as a `CheckedFlow` whose calls run `check(**arguments)`
    first (every parameter, defaults applied; it raises to refuse).

    Example:
        >>> def positive(n: int) -> None:
        ...     if n < 1:
        ...         raise ValueError(f"n must be positive, not {n}")
        >>> @checked_flow(check=positive, name="double")
        ... def double(n: int) -> int:
        ...     return 2 * n
        >>> double(0)
        Traceback (most recent call last):
        ...
        ValueError: n must be positive, not 0
        >>> double.serialize_parameters({"url": "s3://KEY:SECRET@bucket/x.csv"})
        {'url': 's3://***@bucket/x.csv'}
    """

    def decorate(fn: Callable[..., Any]) -> CheckedFlow:
        made = CheckedFlow(fn=fn, **options)
        made.check, made.phones = check, phones
        return made

    return decorate
