"""The group commit under uvloop, the event loop `platform serve` runs on, with a window under a
millisecond: uvloop's `call_at` then returns a plain `Handle`, which has no `when()`, and the
second message of a window raised AttributeError instead of joining the batch
(store/group_commit.py keeps the deadline itself).

uvloop runs in a child process (`uvloop_group_commit.py`, through `uvloop_child`); the verdict is
the child's count of committed rows."""

from __future__ import annotations

from pathlib import Path

from uvloop_child import child_report

SCRIPT = Path(__file__).with_name("uvloop_group_commit.py")


async def test_a_window_under_a_millisecond_commits_every_message_under_uvloop() -> None:
    report = await child_report(SCRIPT)
    assert report == {"loop": "uvloop.Loop", "rows": 60}
