"""One reviewer decision carried across two runs (make demo-decisions; docs/review.md).

1. a sealed demo run (config/runs/demo.yaml);
2. `omphalos review decide`: the first REVIEW candidate of its queue cleared as a false positive,
   into a fresh decisions log under artifacts/demo-decisions/;
3. a second run of the same inputs with `decisions:` in its config and `--previous-run` the
   first run;
4. shows that the candidate is not queued again, that it stays in entity_matches with its prior
   decision, and that exports/changes_since_previous.csv attributes the change to the decision.

Exits 1 when any of that does not hold.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
OMPHALOS = str(Path(sys.executable).with_name("omphalos"))


def omphalos(*argv: str) -> str:
    print("$ omphalos " + " ".join(argv), flush=True)
    done = subprocess.run([OMPHALOS, *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"omphalos {argv[0]} exited {done.returncode}")
    return done.stdout


def main() -> int:
    base = (
        ROOT / "artifacts" / "demo-decisions" / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    base.mkdir(parents=True)
    demo = ROOT / "config" / "runs" / "demo.yaml"
    run1 = Path(json.loads(omphalos("run", "--config", str(demo), "--json"))["run_dir"])
    queue = pq.read_table(run1 / "exports" / "review_queue.parquet").to_pylist()
    candidate = next(r for r in queue if r["match_status"] == "REVIEW")
    match_id = str(candidate["match_id"])
    log = base / "decisions.jsonl"
    print(
        omphalos(
            "review", "decide", "--run-dir", str(run1), "--match-id", match_id,
            "--decision", "false_positive", "--reviewer", "Demo Reviewer",
            "--reason", "different party: other country and registration", "--log", str(log),
        ).strip()
    )  # fmt: skip
    doc = yaml.safe_load(demo.read_text(encoding="utf-8"))
    doc["name"] = "demo_decisions"
    doc["description"] = "The demo run again, with the reviewer decisions of the first run."
    doc["inputs"] = {k: str((demo.parent / v).resolve()) for k, v in doc["inputs"].items()}
    doc["decisions"] = "decisions.jsonl"
    config = base / "demo_decisions.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out = omphalos("run", "--config", str(config), "--previous-run", str(run1), "--json")
    run2 = Path(json.loads(out)["run_dir"])
    print(omphalos("verify", "--run-dir", str(run2)).strip())

    queued = {r["match_id"] for r in pq.read_table(run2 / "exports" / "review_queue.parquet")
              .select(["match_id"]).to_pylist()}  # fmt: skip
    row = next(
        r
        for r in pq.read_table(run2 / "exports" / "entity_matches.parquet").to_pylist()
        if r["match_id"] == match_id
    )
    changes = pq.read_table(run2 / "exports" / "changes_since_previous.parquet").to_pylist()
    change = next((c for c in changes if c["match_id"] == match_id), None)
    summary = json.loads((run2 / "reports" / "summary.json").read_text(encoding="utf-8"))
    print()
    print(f"candidate {match_id}: {candidate['party_name']} ~ {candidate['matched_name']}")
    print(f"  run 1 {run1.name}: {candidate['match_status']}, queue position "
          f"{candidate['queue_position']}")  # fmt: skip
    print(f"  run 2 {run2.name}: {row['match_status']} {row['score']}, "
          f"{'QUEUED' if match_id in queued else 'not queued'}; prior decision "
          f"{row['prior_decision']} ({row['prior_decision_status']}) by "
          f"{row['prior_decision_reviewer']} at {row['prior_decision_at']}")  # fmt: skip
    if change is not None:
        print(f"  change since run 1: {change['change']}, cause {change['cause']} "
              f"(queued {change['previous_queued']} -> {change['current_queued']})")  # fmt: skip
    print(f"  changes_since_previous: {json.dumps(summary['changes_since_previous']['by_cause'])}")
    print(f"  prior_decisions: {json.dumps(summary['prior_decisions'], sort_keys=True)}")
    ok = (
        match_id not in queued
        and row["prior_decision"] == "false_positive"
        and row["prior_decision_status"] == "applies"
        and change is not None
        and change["cause"] == "decision"
    )
    print("\nOK: the decision carried into the second run" if ok else "\nFAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
