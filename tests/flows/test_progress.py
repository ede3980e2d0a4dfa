"""Progress updates from the evaluating thread are sent at most once a second."""

import pytest

from flows._progress import Throttle


@pytest.mark.parametrize(
    ("times", "sent"),
    [
        ([0.0], [True]),
        ([0.0, 0.1, 0.99, 1.0], [True, False, False, True]),
        ([5.0, 5.5, 6.2, 6.3, 7.19, 7.2], [True, False, True, False, False, True]),
        ([0.0, 3.0, 3.0, 10.0], [True, True, False, True]),
    ],
)
def test_an_update_goes_out_once_a_second_at_most(times, sent):
    clock = iter(times)
    throttle = Throttle(1.0, clock=lambda: next(clock))
    assert [throttle.ready() for _ in times] == sent
