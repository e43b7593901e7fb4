"""The core scheduler on a ManualClock: order, replace and cancel by key, failures, stop."""

from __future__ import annotations

import logging

from hearth import ManualClock, Scheduler, WallClock


async def test_jobs_run_in_time_order_when_the_clock_reaches_them():
    clock = ManualClock(start=1000.0)
    sched = Scheduler(clock)
    ran: list[tuple[str, float]] = []
    sched.at(1010.0, lambda: ran.append(("b", clock.now())))
    sched.after(5, lambda: ran.append(("a", clock.now())))

    async def later() -> None:
        ran.append(("c", clock.now()))

    sched.after(60, later)  # async callbacks are awaited
    await clock.advance(4)
    await sched.settle()
    assert ran == []
    await clock.advance(6)
    await sched.settle()
    assert ran == [("a", 1005.0), ("b", 1010.0)]
    await clock.advance(100)  # longer than one step of the scheduler's sleep
    await sched.settle()
    assert (ran[-1], sched.pending()) == (("c", 1060.0), [])


async def test_a_key_names_one_job_to_replace_or_cancel():
    clock = ManualClock()
    sched = Scheduler(clock)
    ran: list[str] = []
    sched.after(10, lambda: ran.append("old"), key="tea")
    sched.after(20, lambda: ran.append("new"), key="tea")
    sched.after(5, lambda: ran.append("eggs"), key="eggs")
    assert sched.pending() == ["eggs", "tea"]
    assert (sched.cancel("eggs"), sched.cancel("eggs")) == (True, False)
    await clock.advance(30)
    await sched.settle()
    assert ran == ["new"]


async def test_a_raising_job_is_logged_and_the_others_run(caplog):
    clock = ManualClock()
    sched = Scheduler(clock)
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("bell is broken")

    sched.after(1, broken, key="broken")
    sched.after(1, lambda: ran.append("ok"))
    with caplog.at_level(logging.ERROR):
        await clock.advance(1)
        await sched.settle()
    assert ran == ["ok"]
    assert "scheduled job 'broken' failed" in caplog.text


async def test_stop_drops_waiting_jobs():
    clock = ManualClock()
    sched = Scheduler(clock)
    ran: list[str] = []
    sched.after(1, lambda: ran.append("late"))
    await sched.stop()
    await clock.advance(5)
    await sched.settle()
    assert (ran, sched.pending()) == ([], [])


async def test_the_wall_clock_runs_a_due_job_at_once():
    sched = Scheduler(WallClock())
    ran: list[str] = []
    sched.at(sched.now() - 1, lambda: ran.append("due"))
    await sched.settle()
    assert ran == ["due"]
