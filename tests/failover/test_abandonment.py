"""The abandonment guard's verdicts, as a table."""

import pytest

from failover import AbandonmentReading, judge_abandonment


@pytest.mark.parametrize(
    ("abandoned", "handled", "warning", "level", "rate"),
    [
        (0, 0, 0.025, "no_answered_calls", 0.0),  # nothing answered: nothing to judge
        (0, 500, 0.025, "ok", 0.0),
        (24, 976, 0.025, "ok", 0.024),  # just under the warning level
        (25, 975, 0.025, "warning", 0.025),  # exactly the warning level
        (29, 971, 0.025, "warning", 0.029),
        (30, 970, 0.025, "over", 0.03),  # exactly 3%: at the limit, the campaign stops
        (31, 969, 0.025, "over", 0.031),
        (3, 0, 0.025, "over", 1.0),  # every answered call abandoned
        (20, 980, 0.02, "warning", 0.02),  # a stricter warning level
    ],
)
def test_judge_abandonment(abandoned, handled, warning, level, rate):
    verdict = judge_abandonment(AbandonmentReading(abandoned, handled), warning)
    assert verdict.level == level
    assert verdict.rate == pytest.approx(rate)
    assert verdict.reason


def test_answered_calls_include_the_abandoned_ones():
    # An abandoned call was answered by a person: it counts in the denominator.
    assert AbandonmentReading(abandoned=1, handled=99).rate == pytest.approx(0.01)


@pytest.mark.parametrize("warning", [0.0, 0.03, 0.05, -0.01])
def test_a_warning_level_must_lie_below_the_safe_harbor(warning):
    with pytest.raises(ValueError, match="warning level"):
        judge_abandonment(AbandonmentReading(1, 99), warning)
