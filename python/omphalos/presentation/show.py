"""`omphalos show RUN`: the summary of a sealed run, read from its reports and manifest.

The run is verified first (omphalos.evidence.verify, the same checks as `omphalos verify`): the numbers of a
run that does not verify are never shown beside its sealed root (exit 1)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from omphalos.textsafe import terminal_safe


def load_summary(run_dir: Path) -> dict[str, Any]:
    manifest = json.loads((run_dir / "run_manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((run_dir / "reports" / "summary.json").read_text(encoding="utf-8"))
    return {
        "run_dir": str(run_dir),
        "run_id": manifest["run_id"],
        "payload_root": manifest["merkle"]["payload_root"],
        "inputs": manifest["inputs"],
        **summary,
    }


def render_summary(run_dir: Path) -> str:
    s = load_summary(run_dir)
    lines = [
        f"run        {s['run_id']}",
        f"directory  {s['run_dir']}",
        f"merkle     payload_root {s['payload_root']}",
        "",
        "inputs     "
        + "; ".join(
            f"{i['name']} {i['rows_admitted']} admitted, {i['rows_rejected']} rejected"
            for i in s["inputs"]
        ),
        f"shipments  {s['shipments']}   parties {s['parties']} ({s['distinct_party_names']} distinct names)",
        f"registry   {s['registry_entities']} entities, {s['registry_names']} names",
        f"candidates {s['candidate_pairs']} name pairs after blocking",
        "matches    "
        + ", ".join(f"{k} {v}" for k, v in s["matches_by_status"].items())
        + f"   review queue {s['review_queue']}",
        "",
        "top exposed entities",
        f"  {'rank':>4}  {'entity':<14} {'name':<40} {'shipments':>9} {'value_usd':>16} {'score':>7}",
    ]
    for e in s["top_exposed_entities"]:
        name = terminal_safe(str(e["name"]))  # from the registry: never raw to a terminal
        lines.append(
            f"  {e['rank']:>4}  {terminal_safe(str(e['entity_id'])):<14} {name[:40]:<40} "
            f"{e['match_shipments']:>9} "
            f"{e['matched_value_usd']:>16} {e['exposure_score']:>7}"
        )
    report = Path(s["run_dir"]) / "reports" / "index.html"
    if report.is_file():
        packets = Path(s["run_dir"]) / "exports" / "packets"
        count = len(list(packets.glob("*.json"))) if packets.is_dir() else 0
        lines += ["", f"report     {report}   ({count} review packets in {packets})"]
    lines += ["", f"verify with: make verify RUN={s['run_dir']}"]
    # Every other value (input names, run id, paths) is data too: no control character of its
    # own may reach the terminal; the line breaks are the page's.
    return terminal_safe("\n".join(lines), keep_newlines=True)


def main_from_args(args: argparse.Namespace) -> int:
    """0 shown (the run verifies), 1 the run does not verify (nothing shown), 2 not a run."""
    from omphalos.evidence.verify import verify_run

    run_dir = Path(args.run_dir)
    if not (run_dir / "run_manifest.json").is_file():
        print(
            f"omphalos show: not a sealed run directory: {terminal_safe(str(run_dir))}",
            file=sys.stderr,
        )
        return 2
    result = verify_run(run_dir)
    if not result.ok:
        if args.json:
            print(result.to_json())
        else:
            for problem in result.problems[:_SHOWN_PROBLEMS]:
                print(problem)
            if len(result.problems) > _SHOWN_PROBLEMS:
                print(f"... and {len(result.problems) - _SHOWN_PROBLEMS} more problem(s)")
        print(
            f"omphalos show: {run_dir} does not verify ({len(result.problems)} problem(s)); its "
            "numbers are not shown (omphalos verify --run-dir ... lists every problem)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps({"verified": True, **load_summary(run_dir)}, sort_keys=True, indent=2))
    else:
        print("verified   OK (every file hash, both Merkle roots, metadata digest, lineage)")
        print(render_summary(run_dir))
    return 0


_SHOWN_PROBLEMS = 20
