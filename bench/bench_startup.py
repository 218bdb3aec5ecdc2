"""Start-up time of ``mailwright ingest`` with nothing to do, next to a bare interpreter.

    python bench/bench_startup.py --runs 5

What cron pays on every run before the first message: the interpreter, the imports, the
store opened, the handler compiled, the accounts looked at. Measured in a temporary folder
on a SQLite store with one Maildir account over an empty Maildir and the INVOICES example
handler (``examples/invoices/handler.jexl``), as new processes of this same interpreter
(``sys.executable``, not a pyenv shim, which adds its own ~70 ms), each the median of
``--runs``:

1. ``python -c pass``: the interpreter alone;
2. ``python -c "import imapclient, peewee"``: the least an IMAP-to-database tool imports;
3. ``python -m runtime.cli ingest --config F``: the command;
4. the sum of the top-level cumulative times of ``python -X importtime`` for (3): the part
   spent importing (importtime's own overhead included, so only a relative figure).

Each is measured twice: with the bytecode cache as the environment has it (this workspace
sets ``PYTHONDONTWRITEBYTECODE=1`` and the source tree has no ``__pycache__``: every module
of mailwright is compiled from source at each start) and with a warm cache
(``PYTHONPYCACHEPREFIX`` in the temporary folder, one run first to fill it), which is what
an installed package has. The machine is shared and noisy: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HANDLER = REPO / "examples" / "invoices" / "handler.jexl"


def make_setup(folder: Path) -> Path:
    """A migrated SQLite store with one enabled Maildir account over an empty Maildir; the
    config's path."""
    sys.path.insert(0, str(REPO))
    from mailstore import models as m
    from mailstore.api import Store
    from mailstore.config import load_config

    config = folder / "mailwright.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{folder / "mw.db"}"\n'
        f'[handler]\nscript = "{HANDLER}"\n'
        f'[secrets]\nkeyFile = "{folder / "secret.key"}"\n',
        encoding="utf-8",
    )
    for sub in ("cur", "new", "tmp"):
        (folder / "md" / sub).mkdir(parents=True)
    with Store.open(load_config(config), migrate=True):
        m.MailAccount.create(
            name="box",
            address="box@example.com",
            purpose="INVOICES",
            sourceKind="maildir",
            path=str(folder / "md"),
        )
    return config


def timed(argv: Sequence[str], env: dict[str, str], runs: int) -> float:
    """The median wall time in seconds of ``runs`` runs of ``argv``; fails on a non-zero exit."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_total(argv: Sequence[str], env: dict[str, str], runs: int) -> float:
    """The median over ``runs`` of the summed top-level cumulative import times (seconds)
    that ``-X importtime`` reports for ``argv`` (a Python command line)."""
    totals = []
    for _ in range(runs):
        done = subprocess.run(
            [argv[0], "-X", "importtime", *argv[1:]],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        top = re.findall(r"^import time:\s+\d+ \|\s+(\d+) \| (?! )", done.stderr, re.MULTILINE)
        totals.append(sum(int(us) for us in top) / 1e6)
    return statistics.median(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure (median)")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="mw-startup-") as tmp:
        folder = Path(tmp)
        config = make_setup(folder)
        command = [python, "-m", "runtime.cli", "ingest", "--config", str(config)]
        as_is = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")}
        warm = {k: v for k, v in as_is.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        subprocess.run(command, cwd=REPO, env=warm, check=True, stdout=subprocess.DEVNULL)
        cache = "off" if as_is.get("PYTHONDONTWRITEBYTECODE") else "as is"
        print(f"{python}, median of {args.runs} runs (seconds)")
        print(f"{'bytecode cache':<16}{'-c pass':>10}{'imapclient+peewee':>19}"
              f"{'ingest':>9}{'ingest-pass':>13}{'imports':>9}")  # fmt: skip
        for name, env in ((cache, as_is), ("warm", warm)):
            bare = timed([python, "-c", "pass"], env, args.runs)
            base = timed([python, "-c", "import imapclient, peewee"], env, args.runs)
            ingest = timed(command, env, args.runs)
            imports = import_total(command, env, args.runs)
            print(f"{name:<16}{bare:>10.3f}{base:>19.3f}{ingest:>9.3f}"
                  f"{ingest - bare:>13.3f}{imports:>9.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
