"""One verdict for several runs: the gate's and the game day's, so they aggregate the same way.

SHARED module (issue #12): the red-blue gate (core/gate.py, helper J4) and game days (helper
J3) both call ``aggregate``; change it only with both in mind.

Honesty is the rule: the worst outcome wins, in the order ERROR (a crash says nothing about the
system) > ABORTED > FAILED > INCONCLUSIVE > PASSED. Nothing passes by default: no runs at all,
or a dry run mixed with real runs, is INCONCLUSIVE, because not every experiment was judged.
Only runs that are all dry runs aggregate to DRY-RUN.
"""

from __future__ import annotations

from collections.abc import Iterable

from chaosrunner.core.verdict import Verdict

#: Worst first: the first of these present in the runs is the aggregate.
_PRECEDENCE = (Verdict.ERROR, Verdict.ABORTED, Verdict.FAILED, Verdict.INCONCLUSIVE)


def aggregate(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of several runs taken together; its ``exit_code`` is the command's."""
    seen = set(verdicts)
    for verdict in _PRECEDENCE:
        if verdict in seen:
            return verdict
    if not seen:
        return Verdict.INCONCLUSIVE
    if seen == {Verdict.DRY_RUN}:
        return Verdict.DRY_RUN
    if Verdict.DRY_RUN in seen:
        return Verdict.INCONCLUSIVE
    return Verdict.PASSED
