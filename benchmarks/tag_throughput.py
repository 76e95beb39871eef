"""How fast `intake tag` is, against plain langdetect on the same texts in the same run.

Prints texts/second for the whole pipeline (in process, and through the real `intake tag`
command on a pipe) and for langdetect alone (seed 0, all profiles) as the baseline, plus their
ratio: machines here are shared and noisy, so the ratio is the figure to compare across runs.

    .venv/bin/python -m benchmarks.tag_throughput [--data ../shared/feedback_themes/v6_dev.csv]
                                                  [--lines 20000]

With --data, real public FFT comments are read from ../shared (never copied into the project);
without it, synthetic texts are generated.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import langdetect

from intake import pipeline
from intake.config import load_config
from intake.message import IncomingMessage
from intake.pipeline import PipelineContext, RejectedMessage

SYNTHETIC = [
    "My GP surgery never answers the phone at 8am",
    "The midwife was kind but the labour ward was short of staff",
    "My mum needs an Urdu interpreter and large print letters please",
    "Waited 6 hours in A&E with my son",
    "Lekarz rodzinny nie odbiera telefonu",
    "میرے جی پی نے میری بات نہیں سنی",
    "The paramedics were brilliant",
    "ok",
    "Patient transport was late again and the driver was rude",
    "He is deaf and needs a BSL interpreter at every appointment",
]


def texts(data: Path | None, count: int) -> list[str]:
    if data is None:
        rng = random.Random(0)
        return [f"{rng.choice(SYNTHETIC)} {rng.randint(1, 9)}" for _ in range(count)]
    with data.open(encoding="utf-8") as handle:
        found = [row["FFT answer"] for row in csv.DictReader(handle) if row.get("FFT answer")]
    return list(itertools.islice(itertools.cycle(found), count))


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()
    corpus = texts(args.data, args.lines)
    sample = corpus[: min(len(corpus), 3000)]

    context = PipelineContext.offline(load_config())
    pipeline.run(IncomingMessage("bench", "warm", "warm up the taggers"), context)
    langdetect.DetectorFactory.seed = 0
    langdetect.detect("warm up langdetect")

    rejected = 0
    start = time.perf_counter()
    for i, text in enumerate(sample):
        try:
            pipeline.run(IncomingMessage("bench", str(i), text), context)
        except RejectedMessage:
            rejected += 1
    pipeline_rate = rate(len(sample), time.perf_counter() - start)

    start = time.perf_counter()
    for text in sample:
        with contextlib.suppress(langdetect.LangDetectException):
            langdetect.detect(text)
    baseline_rate = rate(len(sample), time.perf_counter() - start)

    payload = "".join(json.dumps({"text": t}) + "\n" for t in corpus).encode()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from intake.cli import main; main()", "tag"],
                          input=payload, capture_output=True, check=False)
    cli_seconds = time.perf_counter() - start
    assert done.stdout.count(b"\n") == len(corpus), done.stderr.decode()

    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()}")
    print(f"texts: {'synthetic' if args.data is None else args.data.name}, "
          f"median length {sorted(map(len, sample))[len(sample) // 2]} characters")
    print(f"pipeline in process:     {pipeline_rate:8.0f} texts/s ({len(sample)} texts, "
          f"{rejected} rejected as empty or too long)")
    print(f"langdetect alone:        {baseline_rate:8.0f} texts/s (baseline, same texts)")
    print(f"ratio pipeline/baseline: {pipeline_rate / baseline_rate:8.2f}")
    print(f"`intake tag` on a pipe:  {rate(len(corpus), cli_seconds):8.0f} texts/s "
          f"({len(corpus)} lines in {cli_seconds:.1f} s, start-up included)")


if __name__ == "__main__":
    main()
