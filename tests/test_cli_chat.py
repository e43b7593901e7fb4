"""Interactive ``hearth chat`` announces a timer that finished between turns, from the core event."""

from __future__ import annotations

from hearth.cli.chat import announce
from hearth.events import CountdownFinished, TurnFinished


def test_a_finished_timer_is_announced_and_other_events_are_not(capsys):
    announce(CountdownFinished(session="s", turn_id="", kind="timer", id=1, name="tea", duration_s=60,
                           say="Your tea timer is done."))
    announce(CountdownFinished(session="s", turn_id="", kind="timer", id=2, name=None, duration_s=60, say="Your timer is done."))
    announce(TurnFinished(session="s", turn_id="t", text="hello", tier=1, timings={}))
    err = capsys.readouterr().err
    assert "Tea timer finished." in err and "Timer finished." in err
    assert "hello" not in err
