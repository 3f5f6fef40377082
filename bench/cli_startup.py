"""Start-up time of the command line, beside the floors measured in the same run.

Prints one JSON object: the median wall time (ms) of ``creatorflow --help`` and
``creatorflow config show`` next to ``python -c pass`` and ``python -c "import typer"``.
Target (DESIGN §8): ``--help`` under 250 ms on the 2-core development machine.

    python bench/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_HELP_MS = 250.0


def median_ms(argv: list[str], runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``runs`` runs after one warm-up run."""
    subprocess.run(argv, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    python = sys.executable
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CREATORFLOW_HOME": home, "NO_COLOR": "1"}
        cli = [python, "-m", "creatorflow"]
        figures = {
            "python_pass_ms": median_ms([python, "-c", "pass"], runs, env),
            "import_typer_ms": median_ms([python, "-c", "import typer"], runs, env),
            "help_ms": median_ms([*cli, "--help"], runs, env),
            "config_show_ms": median_ms([*cli, "config", "show"], runs, env),
        }
    figures["help_over_typer_ms"] = round(figures["help_ms"] - figures["import_typer_ms"], 1)
    result = {
        "benchmark": "cli_startup",
        "runs": runs,
        **figures,
        "target_help_ms": TARGET_HELP_MS,
        "help_within_target": figures["help_ms"] < TARGET_HELP_MS,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
