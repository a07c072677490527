"""The one progress mechanism: ``omphalos.cli.progress.Progress`` (phases with the elapsed time,
counters) and the dbt model lines the run turns into ``model n of N`` in the order they finish."""

from __future__ import annotations

import argparse
import io

from omphalos.cli.progress import Progress, progress_printer
from omphalos.pipeline.run import DbtModelCounter


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_quiet_unless_terminal_or_forced() -> None:
    pipe = io.StringIO()
    p = Progress(stream=pipe)
    p.step("hidden")
    p.count(1, 2, "hidden")
    assert pipe.getvalue() == ""
    assert not Progress.for_command(json_output=True, force=True).enabled
    assert not Progress.for_command(quiet=True).enabled

    tty = _Tty()
    clock = _Clock()
    p = Progress(stream=tty, interval=3600, clock=clock)
    p.step("dbt build")
    clock.now += 0.5
    for i in range(1, 101):
        p.count(i, 100, "hashing")
    clock.now += 12.25
    p.done("sealed")
    out = tty.getvalue()
    assert out.startswith("[omphalos] 0.0s dbt build\n")
    assert "hashing 1/100 (1%)" in out and "hashing 100/100 (100%)\n" in out
    assert "hashing 50/100" not in out  # throttled
    assert out.endswith("[omphalos] 12.8s sealed\n")

    forced = io.StringIO()
    clock = _Clock()
    p = Progress(True, stream=forced, interval=3600, clock=clock)
    p("plain")
    clock.now += 2
    p.count(3, None, "rows")
    p("next")
    assert forced.getvalue() == "[omphalos] 0.0s plain\n[omphalos] rows 3\n[omphalos] 2.0s next\n"


def test_progress_printer_follows_the_command_line_rule() -> None:
    def ns(**kw: bool) -> argparse.Namespace:
        return argparse.Namespace(**kw)

    assert progress_printer(ns(json=True, progress=True)) is None
    assert progress_printer(ns(quiet=True, progress=True)) is None
    forced = progress_printer(ns(progress=True))
    assert isinstance(forced, Progress) and forced.enabled
    # no --progress and stderr is not a terminal under pytest's capture
    assert progress_printer(ns()) is None


def test_dbt_models_are_counted_in_the_order_they_finish() -> None:
    lines = [
        "12:51:17  Found 3 models, 115 data tests, 9 seeds, 8 sources, 687 macros",
        "12:51:20  1 of 156 START sql view model main_staging.stg_a .... [RUN]",
        "12:51:20  24 of 156 OK created sql view model main_staging.stg_a ........ [OK in 0.25s]",
        "12:51:20  3 of 156 PASS not_null_stg_a_id .... [PASS in 0.1s]",
        "12:51:21  27 of 156 OK created sql table model main_marts.entity_matches  [OK in 0.28s]",
        "12:51:21  30 of 156 FAIL 2 unique_entity_matches_id ..... [FAIL 2 in 0.1s]",
        "12:51:22  26 of 156 ERROR creating sql table model main_marts.review_queue  [ERROR in 0.1s]",
    ]
    counter = DbtModelCounter()
    shown = [m for m in (counter.line(x) for x in lines) if m is not None]
    assert shown == [
        "dbt: model 1 of 3 main_staging.stg_a [OK in 0.25s]",
        "dbt: model 2 of 3 main_marts.entity_matches [OK in 0.28s]",
        "dbt: 30 of 156 FAIL 2 unique_entity_matches_id ..... [FAIL 2 in 0.1s]",
        "dbt: model 3 of 3 main_marts.review_queue [ERROR in 0.1s]",
    ]


def test_dbt_models_without_a_total() -> None:
    counter = DbtModelCounter()
    line = "12:51:20  2 of 9 OK created sql view model main_staging.stg_b .. [OK in 0.2s]"
    assert counter.line(line) == "dbt: model 1 main_staging.stg_b [OK in 0.2s]"
