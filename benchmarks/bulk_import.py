"""Benchmark 2, bulk intake: `intake import` of synthetic Friends-and-Family-Test comments, fully
tagged, on SQLite and on PostgreSQL. Target: at least 500 rows/second (a month of England's FFT,
about 1.2 million comments, in and tagged in under 40 minutes).

    .venv/bin/python -m benchmarks.bulk_import [--rows 20000] [--databases sqlite,postgresql]
                                               [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
                                               [--json FILE]

For each database: a fresh database (a SQLite file, or a PostgreSQL schema of its own that is
dropped afterwards), `intake db upgrade`, then the real `intake import` command in a subprocess,
timed from start to exit, with its CPU time (the command's own, not the database server's). The
start-up (interpreter, imports, configuration, building the taggers) is timed apart, as an import
of the file's header alone, so the steady rate, which decides a month of FFT, is rows / (import -
start-up). Then a check that every row became a processed, tagged feedback item; then the same
file imported again (it must add nothing), timed too. The baseline, measured in the same run
because the machine is shared and noisy, is the pure pipeline tagging the same messages in this
process with no database: the ratio import/baseline is the figure to compare across runs, and the
ratio of CPU rates (rows per CPU second) is the one load from elsewhere moves least.

Every comment is made up here from fragments (a few languages, some naming services and
communication needs); phone numbers are from Ofcom's range for drama (07700 900000-900999).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

from benchmarks.machine import describe
from intake import pipeline
from intake.config import load_config
from intake.importing import ColumnChoice, RowReader, read_table
from intake.pipeline import PipelineContext, RejectedMessage
from intake.staff.dates import LONDON
from intake.storage.database import normalise_url
from intake.storage.models import Feedback, InboundMessage, InboundState, Tag

TARGET_ROWS_PER_SECOND = 500
FFT_MONTH = 1_200_000
COLUMNS = ("Date", "Service", "Rating", "Comment", "Language")
IMPORT_OPTIONS = ("--text-column", "Comment", "--service-column", "Service",
                  "--date-column", "Date", "--language-column", "Language")
RATINGS = ("Very good", "Very good", "Very good", "Good", "Good", "Neither good nor poor", "Poor",
           "Very poor", "Don't know")

# -- the synthetic comments ------------------------------------------------------------------
# (the Service column as an export might fill it, words that name the service in the comment)
SERVICES = [
    ("GP surgery", "my GP surgery"), ("gp", "the GP"), ("Pharmacy", "the pharmacist"),
    ("Dentist", "the dentist"), ("A&E (emergency department)", "A&E"), ("Maternity", "the midwife"),
    ("Mental health", "my counsellor"), ("Hospital outpatients", "the outpatient clinic"),
    ("Ambulance service", "the paramedics"), ("Patient transport", "patient transport"),
    ("", "the receptionist"), ("", "the nurse"), ("", "the ward staff"),
    ("Foot clinic", "the podiatrist"),            # not a service in the configuration: noted
]
OPENINGS = ["Very good.", "Staff were kind and listened to me.", "Long wait but worth it.",
            "Really poor experience today.", "Excellent care from start to finish.",
            "Could not fault anything.", "Nobody explained what was happening.",
            "Friendly and efficient.", "It was okay I suppose."]
ABOUT = ["{svc} was brilliant and took time to explain everything.",
         "I waited over two hours to see {svc} and nobody told us why.",
         "{svc} never answers the phone at 8am, it is impossible to get an appointment.",
         "Thank you to {svc}, you made a scary day much easier.",
         "Parking was a nightmare and the signs were confusing, but {svc} was lovely.",
         "{svc} was rude to my mum and rushed her out.",
         "The booking system is confusing and {svc} could not find my referral.",
         "Clean, calm and {svc} was on time for once."]
NEEDS = ["My dad is deaf and needs a BSL interpreter at every appointment.",
         "Please send letters in large print, I cannot read the small text.",
         "My son has a learning disability and needs things in easy read.",
         "I need an Urdu interpreter, my English is not good.",
         "Please text me rather than ringing, I cannot hear on the phone.",
         "Can you send it in braille next time?"]
CONTACT = ["You can call me on 07700 9{n:05d} if you want to know more.",
           "Ring 07700 9{n:05d} after 5pm."]
OTHER_LANGUAGES = [  # (the Language column, or empty for "detect it", and the comment)
    ("Polish", "Lekarz rodzinny był bardzo miły, ale czekałam dwie godziny na wizytę."),
    ("", "Bardzo dobra opieka, dziękuję pielęgniarkom z oddziału."),
    ("ur", "ڈاکٹر نے میری بات غور سے سنی اور سب کچھ سمجھایا۔"),
    ("", "استقبالیہ پر کوئی اردو بولنے والا نہیں تھا، مجھے مترجم چاہیے تھا۔"),
    ("Romanian", "Personalul a fost foarte amabil, dar am așteptat mult la urgențe."),
    ("", "আমার মায়ের জন্য একজন বাংলা দোভাষী দরকার ছিল।"),
    ("Arabic", "كان الطاقم لطيفاً جداً لكن الانتظار كان طويلاً."),
    ("", "Dhakhtarku aad buu u fiicnaa, laakiin sugitaanku wuu dheeraa."),
    ("Lithuanian", "Slaugytojos buvo labai malonios ir paslaugios."),
]
SHORT = ["Very good", "Good", "Excellent", "ok", "Fine", "No complaints", "Great staff",
         "Very good service", "N/A"]


def comment(rng: random.Random) -> tuple[str, str, str]:
    """(Service cell, Language cell, comment): mostly English, of varied length."""
    roll = rng.random()
    if roll < 0.15:
        return rng.choice(SERVICES)[0] if rng.random() < 0.5 else "", "", rng.choice(SHORT)
    if roll < 0.25:
        language, words = rng.choice(OTHER_LANGUAGES)
        return "", language, words
    service, words = rng.choice(SERVICES)
    parts = [rng.choice(OPENINGS)] if rng.random() < 0.6 else []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
        sentence = rng.choice(ABOUT).format(svc=words)
        parts.append(sentence[0].upper() + sentence[1:])
    if rng.random() < 0.08:
        parts.append(rng.choice(NEEDS))
    if rng.random() < 0.03:
        parts.append(rng.choice(CONTACT).format(n=rng.randrange(1000)))
    return (service if rng.random() < 0.7 else ""), "", " ".join(parts)


def write_survey(path: Path, rows: int, seed: int = 2026) -> None:
    """An FFT-style export: a date in the last month, the service, the rating and the comment."""
    rng = random.Random(seed)
    last = date(2026, 10, 31)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for _ in range(rows):
            service, language, words = comment(rng)
            day = last - timedelta(days=rng.randrange(31))
            writer.writerow([day.strftime("%d/%m/%Y"), service, rng.choice(RATINGS), words, language])


# -- the baseline: the pure pipeline on the same messages --------------------------------------
@dataclass(frozen=True)
class Baseline:
    rows_per_second: float
    rows_per_cpu_second: float
    rows: int


def pipeline_rate(path: Path, sample: int) -> Baseline:
    """Texts per second (and per CPU second) for ``pipeline.run`` over the file's first
    ``sample`` rows, in this process."""
    config = load_config()
    table = read_table(path)
    reader = RowReader(config, table, ColumnChoice(text="Comment", service="Service", date="Date",
                                                   language="Language"),
                       now=datetime.now(LONDON))
    messages = [row.message for row in reader.rows() if row.message is not None][:sample]
    context = PipelineContext.offline(config)
    pipeline.run(messages[0], context)      # compile the taggers outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    for message in messages:
        with suppress(RejectedMessage):
            pipeline.run(message, context)
    return Baseline(len(messages) / (time.perf_counter() - start),
                    len(messages) / (time.process_time() - cpu), len(messages))


# -- the databases -----------------------------------------------------------------------------
@contextmanager
def fresh_database(kind: str, workdir: Path, postgres_url: str) -> Iterator[str]:
    """An empty database: a SQLite file in ``workdir``, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'bulk-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    schema = f"bench_bulk_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(postgres_url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalise_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def command_env(database_url: str, instance: Path) -> dict[str, str]:
    return {**os.environ, "INTAKE_ENV": "test", "DATABASE_URL": database_url,
            "INTAKE_INSTANCE_PATH": str(instance), "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "INTAKE_HASH_KEY": "bench-hash-key-" + uuid.uuid4().hex,
            "PUBLIC_BASE_URL": "https://intake.example.test"}


def intake_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from intake.cli import main; main()", *args]


@dataclass(frozen=True)
class Run:
    """One timed `intake import`."""

    seconds: float
    rows_per_second: float
    imported: int
    already: int
    peak_memory_mib: float
    cpu_seconds: float = 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(path: Path, env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(intake_command("import", str(path), *IMPORT_OPTIONS), env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = done.stdout
    if done.returncode != 0:
        raise SystemExit(f"`intake import` failed ({done.returncode}):\n{report}\n{done.stderr}")
    rows = int(_figure(report, r"Read ([\d,]+) rows"))
    return Run(seconds=seconds, rows_per_second=rows / seconds, cpu_seconds=cpu,
               imported=int(_figure(report, r"Imported:\s+([\d,]+)")),
               already=int(_figure(report, r"Already imported before:\s+([\d,]+)")),
               # ru_maxrss is the largest child so far (KiB on Linux): a lower bound if an
               # earlier child was larger, which the first import never is.
               peak_memory_mib=max(peak, before) / 1024)


def _figure(report: str, pattern: str) -> str:
    found = re.search(pattern, report)
    if found is None:
        raise SystemExit(f"`intake import` printed no {pattern!r}:\n{report}")
    return found.group(1).replace(",", "")


def check_stored(database_url: str, rows: int) -> dict[str, int]:
    """Every row is a processed inbound message and a feedback item with a language tag."""
    engine: Engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            inbound = connection.scalar(select(func.count()).select_from(InboundMessage))
            processed = connection.scalar(select(func.count()).select_from(InboundMessage).where(
                InboundMessage.state == InboundState.PROCESSED))
            items = connection.scalar(select(func.count()).select_from(Feedback))
            untagged = connection.scalar(select(func.count()).select_from(Feedback).where(
                ~select(Tag.id).where(Tag.feedback_id == Feedback.id, Tag.kind == "language",
                                      Tag.retracted_at.is_(None)).exists()))
            tags = connection.scalar(select(func.count()).select_from(Tag))
    finally:
        engine.dispose()
    found = {"inbound": inbound or 0, "processed": processed or 0, "feedback": items or 0,
             "without_language_tag": untagged or 0, "tags": tags or 0}
    if not (found["inbound"] == found["processed"] == found["feedback"] == rows
            and found["without_language_tag"] == 0):
        raise SystemExit(f"not every row became a tagged feedback item: {found} (rows: {rows})")
    return found


@dataclass(frozen=True)
class DatabaseResult:
    database: str
    first: Run
    again: Run
    stored: dict[str, int]
    start_up: Run

    @property
    def steady_rows_per_second(self) -> float:
        """The rate once started: what a file of a million rows sees for nearly all of it."""
        return self.stored["feedback"] / max(self.first.seconds - self.start_up.seconds, 1e-9)

    @property
    def steady_rows_per_cpu_second(self) -> float:
        return self.stored["feedback"] / max(self.first.cpu_seconds - self.start_up.cpu_seconds,
                                             1e-9)


def header_only(path: Path) -> Path:
    """The file's first line alone: importing it times the start-up and nothing else."""
    empty = path.with_name(f"header-{path.name}")
    with path.open(encoding="utf-8") as handle:
        empty.write_text(handle.readline(), encoding="utf-8")
    return empty


def bench_database(kind: str, path: Path, rows: int, workdir: Path,
                   postgres_url: str) -> DatabaseResult:
    with fresh_database(kind, workdir, postgres_url) as url:
        env = command_env(url, workdir / f"instance-{kind}")
        upgrade = subprocess.run(intake_command("db", "upgrade"), env=env, capture_output=True,
                                 text=True, check=False)
        if upgrade.returncode != 0:
            raise SystemExit(f"`intake db upgrade` failed:\n{upgrade.stdout}\n{upgrade.stderr}")
        start_up = timed_import(header_only(path), env)
        first = timed_import(path, env)
        stored = check_stored(url, rows)
        again = timed_import(path, env)
        if again.imported != 0 or again.already != rows:
            raise SystemExit(f"importing again added rows: {again}")
        check_stored(url, rows)
    return DatabaseResult(kind, first, again, stored, start_up)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--baseline-sample", type=int, default=5000,
                        help="rows the in-process pipeline baseline tags")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database {', '.join(sorted(unknown))}: use sqlite or postgresql")

    machine = describe()
    print(machine.line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bulk-import-") as tmp:
        workdir = Path(tmp)
        path = workdir / "fft-survey.csv"
        write_survey(path, args.rows)
        lengths = sorted(len(row["Comment"]) for row in csv.DictReader(
            path.open(encoding="utf-8")))
        print(f"file: {args.rows:,} synthetic FFT rows, {path.stat().st_size / 1e6:.1f} MB, "
              f"comment length median {lengths[len(lengths) // 2]}, "
              f"p90 {lengths[int(len(lengths) * 0.9)]}, max {lengths[-1]} characters")
        minutes = FFT_MONTH / TARGET_ROWS_PER_SECOND / 60
        print(f"target: {TARGET_ROWS_PER_SECOND} rows/s (a month of FFT, {FFT_MONTH:,} comments, "
              f"in {minutes:.0f} min)", flush=True)
        base = pipeline_rate(path, args.baseline_sample)
        baseline = base.rows_per_second
        print(f"baseline, pure pipeline in process (no database): {baseline:7.0f} rows/s, "
              f"{base.rows_per_cpu_second:.0f} rows per CPU second ({base.rows:,} rows)",
              flush=True)
        results = []
        for kind in databases:
            result = bench_database(kind, path, args.rows, workdir, args.postgres_url)
            results.append(result)
            first, again = result.first, result.again
            verdict = "meets" if first.rows_per_second >= TARGET_ROWS_PER_SECOND else "misses"
            print(f"{kind:10} `intake import`: {first.rows_per_second:7.0f} rows/s "
                  f"({args.rows:,} rows in {first.seconds:.1f} s, start-up included; "
                  f"peak memory {first.peak_memory_mib:.0f} MiB); ratio to baseline "
                  f"{first.rows_per_second / baseline:.2f}; {verdict} the target; a month of FFT "
                  f"in {FFT_MONTH / first.rows_per_second / 60:.0f} min", flush=True)
            steady = result.steady_rows_per_second
            print(f"{kind:10} start-up (header only): {result.start_up.seconds:.1f} s; steady "
                  f"{steady:7.0f} rows/s (ratio to baseline {steady / baseline:.2f}; a month of FFT "
                  f"in {FFT_MONTH / steady / 60:.0f} min); CPU {first.cpu_seconds:.1f} s, steady "
                  f"{result.steady_rows_per_cpu_second:.0f} rows per CPU second (ratio "
                  f"{result.steady_rows_per_cpu_second / base.rows_per_cpu_second:.2f})", flush=True)
            print(f"{kind:10} stored: {result.stored['feedback']:,} feedback items, all processed "
                  f"and tagged ({result.stored['tags']:,} tags)")
            print(f"{kind:10} import again: {again.seconds:.1f} s ({again.rows_per_second:.0f} "
                  f"rows/s), added {again.imported}, recognised {again.already:,} as imported",
                  flush=True)
    end = describe()
    one, five, fifteen = end.load_average
    print(f"load average at the end: {one:.2f} {five:.2f} {fifteen:.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps({
            "machine": machine.as_dict(), "load_average_end": end.load_average,
            "rows": args.rows, "target_rows_per_second": TARGET_ROWS_PER_SECOND,
            "baseline_rows_per_second": baseline, "baseline_rows": base.rows,
            "baseline_rows_per_cpu_second": base.rows_per_cpu_second,
            "databases": [{**asdict(r), "ratio_to_baseline": r.first.rows_per_second / baseline,
                           "steady_rows_per_second": r.steady_rows_per_second,
                           "steady_ratio_to_baseline": r.steady_rows_per_second / baseline,
                           "steady_rows_per_cpu_second": r.steady_rows_per_cpu_second,
                           "steady_cpu_ratio_to_baseline": (r.steady_rows_per_cpu_second
                                                            / base.rows_per_cpu_second)}
                          for r in results],
        }, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
