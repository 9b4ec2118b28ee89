"""``audit-toolkit``: argument parsing and progress only; the work is in the library.

    audit-toolkit audit PATH --as-of YYYY-MM-DD [--from YYYY-MM] [--out DIR] [--lang vi|en] [--no-mask]
                        [--workers N | --scheduler ADDRESS [--tls-ca-file F --tls-cert F --tls-key F]]
    audit-toolkit notebook {ward,city,follow-up} PATH [--as-of …] [--from …] [--old DIR] --out DIR
    audit-toolkit compare OLD_DIR NEW_DIR --out DIR

Exit status: 0 when the audit ran (findings are results, not errors); 2 for unusable input or
arguments, with a message naming the file, sheet, column or row and the fix.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit_toolkit.errors import AuditToolkitError, InputError

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (also used to document the CLI)."""
    parser = _Parser(
        prog="audit-toolkit", description="Audit a ward's social-assistance beneficiary records."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    audit = sub.add_parser("audit", help="audit a ward folder, a ward workbook, or a batch folder of wards")
    audit.add_argument("path", type=Path, help="ward folder, ward workbook (.xlsx) or batch folder")
    audit.add_argument("--as-of", required=True, help="audit date, YYYY-MM-DD")
    audit.add_argument(
        "--from", dest="period_from", help="first month of the period, YYYY-MM (default: 12 months before)"
    )
    audit.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports/)")
    audit.add_argument("--lang", choices=("vi", "en"), default="vi", help="report language (default: vi)")
    audit.add_argument("--no-mask", action="store_true", help="show national IDs in full in the shared HTML")
    audit.add_argument("--no-quality", action="store_true", help="skip the Great Expectations suites")
    audit.add_argument(
        "--expectations", type=Path, help="folder of Great Expectations suites (default: expectations/)"
    )
    audit.add_argument(
        "--sample", type=int, default=10, help="people drawn for the field-visit sample (default: 10)"
    )
    audit.add_argument("--seed", type=int, default=0, help="seed of the field-visit sample (default: 0)")
    audit.add_argument(
        "--rules-extra",
        action="append",
        default=[],
        metavar="FILE",
        help="extra rule file, or the name of a shipped optional rule set (e.g. nd-335-2026); repeatable",
    )
    batch = audit.add_argument_group("batches (a folder of wards)")
    batch.add_argument(
        "--workers",
        type=int,
        help="wards audited in parallel worker processes (default: the machine's cores; 1 = this process)",
    )
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the wards on an existing Dask cluster, e.g. tls://10.0.0.5:8786 "
        "(the workers must see the batch folder and --out at the same paths)",
    )
    batch.add_argument("--tls-ca-file", type=Path, help="CA certificate of the cluster (PEM)")
    batch.add_argument("--tls-cert", type=Path, help="this client's certificate (PEM)")
    batch.add_argument("--tls-key", type=Path, help="this client's private key (PEM)")
    batch.add_argument(
        "--scheduler-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the scheduler, or for a worker when none is left (default: 10)",
    )

    nb = sub.add_parser("notebook", help="run a notebook template and export it to HTML without code")
    nb.add_argument("kind", choices=("ward", "city", "follow-up"), help="which notebook")
    nb.add_argument(
        "path",
        type=Path,
        help="ward folder/workbook (ward), batch folder (city), or the NEW audit folder (follow-up)",
    )
    nb.add_argument("--as-of", help="audit date, YYYY-MM-DD (ward, city)")
    nb.add_argument("--from", dest="period_from", help="first month of the period, YYYY-MM")
    nb.add_argument("--old", type=Path, help="the earlier audit's output folder (follow-up)")
    nb.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports/)")
    nb.add_argument("--lang", choices=("vi", "en"), default="vi", help="report language (default: vi)")
    nb.add_argument("--no-mask", action="store_true", help="show national IDs in full in the export")
    nb.add_argument(
        "--rules-extra",
        action="append",
        default=[],
        metavar="FILE",
        help="extra rule file, or the name of a shipped optional rule set (e.g. nd-335-2026); repeatable",
    )

    cmp = sub.add_parser("compare", help="compare two audits of the same wards: new, still open, resolved")
    cmp.add_argument("old", type=Path, help="output folder of the earlier audit")
    cmp.add_argument("new", type=Path, help="output folder of the later audit")
    cmp.add_argument("--out", type=Path, default=Path("reports/follow-up"), help="output folder")
    cmp.add_argument("--lang", choices=("vi", "en"), default="vi", help="report language (default: vi)")
    cmp.add_argument("--no-mask", action="store_true", help="show national IDs in full in the HTML")
    return parser


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _layout_lines(result: AuditResult) -> str:
    """One line per table read: which layout the loader recognised (data contract §1a)."""
    from audit_toolkit.io.layouts import layout_text
    from audit_toolkit.messages import t

    return "\n".join(
        t(
            "cli.layout_read",
            result.lang,
            table=s.table,
            file=s.path.name,
            sheet=s.sheet or "-",
            layout=layout_text(s.layout_notes, result.lang) or s.layout,
        )
        for s in result.ward.sources
    )


def _summary_line(result: AuditResult) -> str:
    from audit_toolkit.messages import fmt_vnd, t

    at_stake = int(result.findings["amount_vnd"].abs().sum()) if len(result.findings) else 0
    return t(
        "cli.findings_count",
        result.lang,
        ward=result.ward.ward_name,
        count=len(result.findings),
        amount=fmt_vnd(at_stake, result.lang),
    )


def _audit_options(args: argparse.Namespace) -> dict[str, Any]:
    """The audit's parameters from the command line, for a ward (``run_audit``) or a batch."""
    return {
        "as_of": args.as_of,
        "period_from": args.period_from,
        "lang": args.lang,
        "quality": not args.no_quality,
        "expectations": args.expectations,
        "rules_extra": args.rules_extra,
    }


def _audit(args: argparse.Namespace) -> int:
    _start_worker_server_early(args)
    from audit_toolkit.audit import run_audit
    from audit_toolkit.io import is_batch
    from audit_toolkit.messages import t
    from audit_toolkit.report import write_reports

    path: Path = args.path
    if not path.exists():
        raise InputError(
            f"{path} does not exist",
            file=path,
            fix="Give the path of a ward folder, a ward workbook or a batch folder",
        )
    if args.sample < 0:
        raise InputError(
            f"--sample {args.sample} is negative", fix="Give the number of people to visit, e.g. --sample 10"
        )
    if args.expectations is not None:
        if not args.expectations.is_dir():
            raise InputError(
                f"--expectations {args.expectations} is not a folder",
                file=args.expectations,
                fix="Give the folder holding the suites' JSON files",
            )
    mask = not args.no_mask
    options: dict[str, Any] = {"mask": mask, "sample_size": args.sample, "seed": args.seed}
    if is_batch(path):
        return _audit_batch(args, path, options)
    # One helper process beside the audit: it reads a province's largest table, runs GX, then
    # writes the workbook while this process draws the page (quality/process.py).
    side = None
    if not args.no_quality:
        from audit_toolkit.audit import prepare_reports
        from audit_toolkit.quality.process import QualitySide

        side = QualitySide.start(
            gx_now=False, idle=prepare_reports, keep_open=True, expectations=args.expectations
        )
    try:
        result = run_audit(path, **_audit_options(args), quality_side=side)
        folder = write_reports(result, args.out, helper=side, **options)
    finally:
        if side is not None:
            side.close(wait=True)  # this process ends next: see QualitySide.close
    _say(_layout_lines(result))
    _say(_summary_line(result))
    _say(t("cli.done", args.lang, path=folder))
    return EXIT_OK


def _start_worker_server_early(args: argparse.Namespace) -> None:
    """For a batch that will likely run on a process pool, start the pool's server before this
    process imports pandas and the audit: the server imports them, and GX, on the other core
    meanwhile, and the workers fork from it ready (``audit_toolkit.batch.start_worker_server``)."""
    if args.scheduler is not None or not args.path.is_dir():
        return
    from audit_toolkit.batch import default_workers, pool_likely, start_worker_server

    if pool_likely(args.path, default_workers() if args.workers is None else args.workers):
        try:
            start_worker_server(quality=not args.no_quality)
        except (OSError, ValueError):  # only a head start: the pool starts its server itself
            return


def _terminal_columns() -> int:
    """Columns of the terminal standard error is on, as it reports them (0: not a terminal, or
    a terminal that reports no size)."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


def _audit_batch(args: argparse.Namespace, path: Path, options: dict[str, Any]) -> int:
    """A batch folder: every ward on ``--workers`` processes or a ``--scheduler``, then the summary."""
    from tqdm import tqdm

    from audit_toolkit.audit import run_batch
    from audit_toolkit.batch import default_workers
    from audit_toolkit.messages import t
    from audit_toolkit.report import write_batch_summary

    if args.workers is not None and args.workers < 1:
        raise InputError(
            f"--workers {args.workers} is not a number of processes", fix="Give --workers 1 or more"
        )
    if args.scheduler is not None and args.workers is not None:
        raise InputError(
            "--workers and --scheduler both given",
            fix="Use --workers N on this machine, or --scheduler ADDRESS for a cluster (its workers count)",
        )
    security = None
    if args.scheduler is not None:
        from audit_toolkit.cluster import make_security

        security = make_security(ca_file=args.tls_ca_file, cert=args.tls_cert, key=args.tls_key)
    elif any((args.tls_ca_file, args.tls_cert, args.tls_key)):
        raise InputError("--tls-* options need --scheduler", fix="Add --scheduler tls://HOST:PORT")
    workers = args.workers or default_workers()
    started = time.perf_counter()
    # Wards done of N, whichever worker finished them; tqdm's rate gives the ETA.
    sized = _terminal_columns() > 0
    # A terminal that reports no size (some containers, `script`): tqdm would draw nothing there
    # (a bar of no columns, on no rows); the usual size ($COLUMNS and $LINES, else 80 × 24) instead.
    usual = shutil.get_terminal_size()
    bar = tqdm(
        total=0,
        unit="ward",
        file=sys.stderr,
        disable=None,
        dynamic_ncols=sized,
        ncols=None if sized else usual.columns,
        nrows=None if sized else usual.lines,
    )

    def on_progress(done: int, total: int, ward_path: Path) -> None:
        bar.total = total
        # Count first, then show: the label and the bar say the same number of wards done.
        bar.set_description_str(
            t("cli.ward_progress", args.lang, n=done, total=total, ward=ward_path.name), refresh=False
        )
        bar.update(done - bar.n)
        bar.refresh()

    def on_result(result: AuditResult) -> None:
        bar.write(_summary_line(result), file=sys.stderr)
        bar.write(_layout_lines(result), file=sys.stderr)

    from audit_toolkit.io import discover_wards

    bar.total = len(discover_wards(path))
    bar.refresh()
    batch = run_batch(
        path,
        **_audit_options(args),
        on_result=on_result,
        on_progress=on_progress,
        workers=workers if args.scheduler is None else 1,
        scheduler=args.scheduler,
        security=security,
        timeout=args.scheduler_timeout,
        out=args.out,
        report_options=options,
    )
    bar.close()
    for ward_name, error in batch.errors.items():
        sys.stderr.write(t("cli.ward_failed", args.lang, ward=ward_name, error=error) + "\n")
    if not batch.results:
        # Nothing could be audited: an empty summary would read as "no findings".
        problems = "; ".join(f"{name}: {error}" for name, error in batch.errors.items())
        raise InputError(
            f"No ward of {path} could be audited ({len(batch.errors)} ward(s): {problems})",
            file=path,
            fix="Fix each ward's problem named above, then run the audit again",
        )
    summary = write_batch_summary(batch, args.out, batch.folders, mask=options["mask"])
    _say(t("cli.summary_written", args.lang, path=summary))
    _say(t("cli.done", args.lang, path=args.out) + f" ({time.perf_counter() - started:.1f} s)")
    return EXIT_OK


def _notebook(args: argparse.Namespace) -> int:
    from audit_toolkit.messages import t
    from audit_toolkit.notebooks import run_notebook

    mask = not args.no_mask
    if args.kind in ("ward", "city"):
        if not args.as_of:
            raise InputError(
                f"notebook {args.kind} needs --as-of", fix="Add the audit date, e.g. --as-of 2023-02-28"
            )
        key = "ward_path" if args.kind == "ward" else "batch_path"
        params = {
            key: str(args.path),
            "as_of": args.as_of,
            "period_from": args.period_from or "",
            "lang": args.lang,
            "mask": mask,
            "out_dir": str(args.out),
        }
    else:
        if args.old is None:
            raise InputError(
                "notebook follow-up needs --old",
                fix="Add the earlier audit's output folder, e.g. --old reports/2023-02",
            )
        params = {
            "old_dir": str(args.old),
            "new_dir": str(args.path),
            "lang": args.lang,
            "mask": mask,
            "out_dir": str(args.out),
        }
    if args.rules_extra:
        from audit_toolkit.rules import resolve_extra_files

        # The notebook's run_audit/run_batch read it from the environment (the kernel inherits it).
        files = resolve_extra_files(args.rules_extra)
        os.environ["AUDIT_TOOLKIT_RULES_EXTRA"] = os.pathsep.join(str(p.resolve()) for p in files)
    executed, html_path = run_notebook(args.kind, params, args.out)
    _say(t("cli.notebook_written", args.lang, notebook=executed, html=html_path))
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from audit_toolkit.compare import compare_audits
    from audit_toolkit.messages import t
    from audit_toolkit.report.follow_up import write_follow_up

    comparison = compare_audits(args.old, args.new)
    html_path, xlsx_path = write_follow_up(comparison, args.out, lang=args.lang, mask=not args.no_mask)
    counts = comparison.findings["status"].value_counts()
    _say(
        t(
            "cli.compare_counts",
            args.lang,
            new=int(counts.get("new", 0)),
            open=int(counts.get("open", 0)),
            resolved=int(counts.get("resolved", 0)),
        )
    )
    _say(t("cli.done", args.lang, path=html_path.parent))
    return EXIT_OK


def _skip_slow_optional_imports() -> None:
    """Keep GX's import from loading what the audit never uses (CLI process only).

    ``import great_expectations`` imports altair, which imports jsonschema, whose *optional* IRI
    format checker imports ``rfc3987_syntax``: that compiles 38 lark grammars, ≈ 2.5 s of CPU of
    GX's ≈ 6 s import; and ``scipy.stats`` and altair themselves, for one expectation the suites
    do not use (deferred to their first use: :mod:`audit_toolkit.startup`). Done here and not in
    the library, which must not change a user's interpreter; a process that already imported the
    packages keeps them. The allocator is tuned too (:func:`audit_toolkit.startup.tune_allocator`).
    """
    from audit_toolkit.startup import prepare_process

    prepare_process()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``audit-toolkit``; returns the exit status."""
    _skip_slow_optional_imports()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "audit":
            return _audit(args)
        if args.command == "notebook":
            return _notebook(args)
        if args.command == "compare":
            return _compare(args)
    except InputError as exc:
        from audit_toolkit.messages import t

        sys.stderr.write(t("cli.input_error", getattr(args, "lang", "vi"), error=exc) + "\n")
        return EXIT_INPUT
    except AuditToolkitError as exc:
        sys.stderr.write(f"audit-toolkit: {exc}\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: say so in the user's language, keep the traceback in a log
        from audit_toolkit.crash import report_bug

        return report_bug(exc, lang=getattr(args, "lang", "vi"), log_dir=getattr(args, "out", None))
    return EXIT_INPUT


def run() -> None:
    """The ``audit-toolkit`` command: :func:`main`, then exit with its status.

    The process ends right after: the objects it made are frozen out of the garbage collector
    (``gc.freeze``) so that the interpreter's final collections do not walk them one by one
    (≈ 0.25 s after an audit that drew charts and wrote a workbook); the system takes the memory
    back at exit all the same. Files are closed and streams flushed before.
    """
    import gc

    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
