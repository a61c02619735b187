"""Command line: `matcher match | batch | partners | evaluate | feedback`. A thin layer over the library."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import InputError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a full stdout fails here, not in Python's own last flush
        return status
    except InputError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `matcher partners | head`
        _silence_stdout()
        return 0
    except OSError as error:  # `matcher partners > /dev/full`
        from .files import stdout_error

        message = stdout_error(error)
        if message is None:
            raise
        print(f"Erreur : {message}", file=sys.stderr)
        _silence_stdout()
        return 2


def entry() -> NoReturn:
    """The `matcher` command (and `python -m matcher`): `main` in a process of its own.

    At exit, the interpreter goes over every object it still holds looking for reference
    cycles: the loaded model and spaCy's tables, which the system frees anyway, cost about
    0.3 s at the end of each command (measured on `matcher batch`). Frozen objects are
    left out of that search (`gc.freeze`), so the command freezes everything before it exits.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def _silence_stdout() -> None:
    from .files import silence_stdout

    silence_stdout()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matcher",
        description="Trouve les partenaires nationaux des Cités éducatives les plus à même d'aider un projet.",
    )
    parser.add_argument("--version", action="version", version=f"matcher {__version__}")
    commands = parser.add_subparsers(title="commandes", metavar="COMMANDE")

    match = commands.add_parser("match", help="classe les partenaires pour une description de projet")
    match.add_argument("description", help="la description du projet, entre guillemets")
    match.add_argument("-k", type=_positive, default=5, help="nombre de partenaires (défaut : 5)")
    match.add_argument("--json", action="store_true", help="sortie JSON")
    match.add_argument("--partners", action="append", default=[], metavar="FICHIER", help="catalogue local à ajouter")
    match.set_defaults(run=run_match)

    batch = commands.add_parser("batch", help="traite un fichier CSV ou Excel de projets")
    batch.add_argument("input", help="fichier de projets (.csv ou .xlsx)")
    batch.add_argument("-o", "--output", required=True, help="fichier de résultats (.csv ou .xlsx)")
    batch.add_argument("-k", type=_positive, default=5, help="partenaires par projet (défaut : 5)")
    batch.add_argument("--text-column", action="append", default=[], metavar="COLONNE",
                       help="colonne de description (répétable pour joindre plusieurs colonnes)")  # fmt: skip
    batch.add_argument("--id-column", metavar="COLONNE", help="colonne d'identifiant du projet")
    batch.add_argument("--keep-columns", action="store_true", help="recopie les colonnes d'entrée dans la sortie")
    batch.add_argument("--sheet", help="feuille du classeur Excel (défaut : la première)")
    batch.add_argument("--format", choices=("csv", "xlsx"), help="format de sortie (défaut : d'après l'extension)")
    batch.add_argument("--excel", action="store_true", help="CSV pour Excel en français : points-virgules et virgule décimale")  # fmt: skip
    batch.add_argument("--partners", action="append", default=[], metavar="FICHIER", help="catalogue local à ajouter")
    batch.add_argument("--jobs", type=_positive, default=1,
                       help="processus de lemmatisation, au plus un par cœur (défaut : 1)")  # fmt: skip
    batch.add_argument("--quiet", action="store_true", help="sans progression ni résumé sur stderr")
    batch.set_defaults(run=run_batch)

    partners = commands.add_parser("partners", help="affiche le catalogue des partenaires")
    partners.add_argument("--partners", action="append", default=[], metavar="FICHIER", help="catalogue local à ajouter")  # fmt: skip
    partners.set_defaults(run=run_partners)

    evaluate = commands.add_parser(
        "evaluate",
        help="mesure la qualité du classement sur des projets étiquetés",
        description="PROJETS ÉTIQUETTES, ou un dossier : un jeu (projects.csv, labels.csv, nofit.csv — "
        "par exemple un export de matcher feedback) ou des dossiers de jeux (data/eval).",
    )
    evaluate.add_argument(
        "projects", metavar="PROJETS|DOSSIER", help="CSV project_id,description, ou un dossier de jeux"
    )
    evaluate.add_argument("labels", nargs="?", metavar="ÉTIQUETTES", help="CSV project_id,partner_id,grade")
    evaluate.add_argument("-k", type=_positive, default=5, help="profondeur du nDCG (défaut : 5)")
    evaluate.add_argument("--compare", action="store_true", help="compare aux classements lexicaux standard")
    evaluate.set_defaults(run=run_evaluate)
    _add_feedback_commands(commands)
    return parser


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"un entier positif est attendu, pas « {value} »")
    return number


def _matcher(extra: Sequence[str] = ()):  # type: ignore[no-untyped-def]
    from .index import PartnerMatcher

    return PartnerMatcher.from_csv(extra=extra)


def run_match(args: argparse.Namespace) -> int:
    result = _matcher(args.partners).search(args.description, k=args.k)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if result.message:
        print(result.message)
    for m in result.matches:
        source = "" if m.source == "national" else f" [catalogue : {m.source}]"
        print(f"\n{m.rank}. {m.name} ({m.partner_id}){source} — score {m.score:.2f}, confiance {m.confidence}")
        print(textwrap.fill(m.reason, 100, initial_indent="   ", subsequent_indent="   "))
        if m.themes:
            print(f"   Thèmes : {', '.join(m.themes)}")
        print(textwrap.fill(f"« {m.snippet.marked()} »", 100, initial_indent="   ", subsequent_indent="     "))
    return 0


def run_batch(args: argparse.Namespace) -> int:
    from .batch import BatchJob, Summary, run
    from .files import TableReader, TableWriter, check_output, os_reason, output_format

    _keep_freed_memory()
    reader = TableReader(args.input, sheet=args.sheet)
    job = BatchJob.for_columns(reader.columns, args.text_column, args.id_column, args.keep_columns)
    fmt = output_format(args.output, args.format)
    check_output(
        args.output, [("le fichier d'entrée", args.input), *(("le catalogue --partners", p) for p in args.partners)]
    )
    summary = Summary()
    bar = _progress(not args.quiet and sys.stderr.isatty())
    try:  # the output is opened (and checked) before the engine's few seconds of loading
        with TableWriter(args.output, job.output_columns, fmt, excel=args.excel) as writer:
            matcher = _matcher(args.partners)
            jobs = min(args.jobs, os.cpu_count() or 1)  # more processes than cores only compete for them
            writer.write(run(matcher, reader, job, args.k, n_process=jobs, summary=summary, progress=bar.update))
    except OSError as error:
        raise InputError(
            f"Impossible d'écrire {args.output} : {os_reason(error)} ; choisissez un autre fichier de sortie."
        ) from None
    finally:
        bar.close()
    for line in reader.warnings:
        print(line, file=sys.stderr)
    if writer.sheets > 1:
        print(
            f"Attention : plus de lignes qu'une feuille Excel n'en tient, résultats répartis sur {writer.sheets} feuilles.",
            file=sys.stderr,
        )
    if not args.quiet:
        print(f"{summary.line()} Résultats : {args.output}", file=sys.stderr)
    return 0


# glibc's mallopt parameters
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep the memory a batch frees, for its next batch of texts.

    spaCy allocates and frees arrays of several megabytes for every batch of texts. By
    default glibc hands them back to the system (it maps them apart or trims the heap),
    and the next batch faults every page in again: about 1.5 s of system time per 10,000
    projects, for the same peak memory. A setting of this process only (the command owns it).
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a C library without mallopt
        return
    mallopt(M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's largest dynamic threshold, fixed
    mallopt(M_TRIM_THRESHOLD, 256 * 2**20)


def _progress(show: bool):  # type: ignore[no-untyped-def]
    """A progress bar on stderr, counting projects; inert when `show` is false."""
    from tqdm import tqdm

    return tqdm(disable=not show, unit=" projets", file=sys.stderr, desc="Projets traités")


def run_partners(args: argparse.Namespace) -> int:
    from .catalogue import merge
    from .files import read_catalogue

    for p in merge(read_catalogue(), *(read_catalogue(path) for path in args.partners)):
        source = "" if p.source == "national" else f" [catalogue : {p.source}]"
        print(f"{p.partner_id:<22} {p.name}{source}")
        details = " ; ".join(x for x in (p.kind, ", ".join(p.themes), p.url) if x)
        if details:
            print(f"{'':<22} {details}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import RANK_DEPTH, LabelledSet, MatcherRanker, discover, evaluate_set, format_scores, score
    from .files import label_warnings

    folder = Path(args.projects)
    if args.labels is None:
        if not folder.is_dir():
            raise InputError(
                f"{args.projects} n'est pas un dossier ; donnez un dossier de jeux, ou PROJETS ÉTIQUETTES."
            )
        sets = discover(folder)
        if not sets:
            raise InputError(f"{args.projects} ne contient aucun jeu (projects.csv et labels.csv, ou nofit.csv).")
    else:
        sets = [LabelledSet(Path(args.projects).name, Path(args.projects), Path(args.labels))]
    matcher = _matcher()
    for labelled in sets:
        projects, labels = labelled.read()
        name = labelled.labels.name if labelled.labels is not None else labelled.name
        for line in label_warnings(labels, projects, (p.partner_id for p in matcher.partners_), name):
            print(line, file=sys.stderr)
    if args.compare:
        return _compare(matcher, sets, args.k)
    if args.labels is not None:
        projects, labels = sets[0].read()
        ranked = dict(zip(projects, MatcherRanker(matcher).rank_ids(list(projects.values()), RANK_DEPTH)))
        print(format_scores(score(labels, ranked, args.k)))
        return 0
    print(f"| jeu | projets | nDCG@{args.k} | hit@3 | MRR | sans partenaire signalés |")
    print("|---|---|---|---|---|---|")
    for labelled in sets:
        s = evaluate_set(matcher, labelled, args.k)
        cells = [f"{s[key]:.3f}" if key in s else "—" for key in (f"ndcg@{args.k}", "hit@3", "mrr")]
        nofit = f"{s['nofit_flagged']} / {s['nofit']}" if "nofit" in s else "—"
        held = f" (en 5 plis : {s['learnt']} projets appris)" if s.get("learnt") else ""
        print(f"| {labelled.name}{held} | {int(s.get('projects', 0))} | {' | '.join(cells)} | {nofit} |")
    return 0


def _compare(matcher, sets, k: int) -> int:  # type: ignore[no-untyped-def]
    from .evaluation import MatcherRanker, baselines, compare, seed_only

    rankers = baselines(matcher.analyzer_)
    for labelled in sets:
        projects, labels = labelled.read()
        if not projects:
            continue
        rows = compare([MatcherRanker(matcher)], matcher.partners_, projects, labels, k)
        rows += compare(rankers, seed_only(matcher.partners_), projects, labels, k)
        print(f"| classement ({labelled.name}, {len(labels)} projets) | nDCG@{k} | hit@3 | MRR |")
        print("|---|---|---|---|")
        for ranker, s in rows:
            print(f"| {ranker} | {s[f'ndcg@{k}']:.3f} | {s['hit@3']:.3f} | {s['mrr']:.3f} |")
        print()
    return 0


# -- feedback ---------------------------------------------------------------------------
def _add_feedback_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    feedback = commands.add_parser("feedback", help="avis des référents sur les partenaires proposés")
    feedback.set_defaults(run=lambda args: feedback.print_help() or 2)
    actions = feedback.add_subparsers(title="actions", metavar="ACTION", help="ce qu'il faut faire des avis")
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="URL_OU_CHEMIN",
                    help="base des avis : fichier SQLite ou URL postgresql://… (défaut : $MATCHER_DB, sinon le dossier de données)")  # fmt: skip

    stats = actions.add_parser("stats", parents=[db], help="partenaires montrés, jugés utiles et pas pertinents")
    stats.set_defaults(run=run_feedback_stats)
    export = actions.add_parser("export", parents=[db], help="écrit projects.csv et labels.csv pour matcher evaluate")
    export.add_argument("-o", "--output", required=True, metavar="DOSSIER", help="dossier où écrire les deux fichiers")
    export.set_defaults(run=run_feedback_export)
    delete = actions.add_parser("delete", parents=[db], help="supprime les recherches et avis antérieurs à une date")
    delete.add_argument(
        "--before", required=True, metavar="AAAA-MM-JJ", help="supprime ce qui précède cette date (UTC)"
    )
    delete.set_defaults(run=run_feedback_delete)


def run_feedback_stats(args: argparse.Namespace) -> int:
    from .feedback import FeedbackStore, format_stats

    with FeedbackStore.open(args.db, create=False) as store:
        by_confidence, by_partner = store.stats(by=("confidence",)), store.stats()
    if not by_partner:
        print(f"Aucun partenaire montré pour l'instant dans {store.location}.")
        return 0
    print(f"Par niveau de confiance\n{format_stats(by_confidence)}\n")
    print(f"Par partenaire et niveau de confiance\n{format_stats(by_partner)}")
    return 0


def run_feedback_export(args: argparse.Namespace) -> int:
    from .feedback import FeedbackStore

    with FeedbackStore.open(args.db, create=False) as store:
        done = store.export(args.output)
    left_out = f" ; {done.left_out} description(s) sans avis « Utile » laissée(s) de côté" if done.left_out else ""
    print(
        f"{done.projects} projet(s), {done.labels} étiquette(s) écrits dans {args.output}{left_out}.", file=sys.stderr
    )
    return 0


def run_feedback_delete(args: argparse.Namespace) -> int:
    from datetime import date

    from .feedback import FeedbackStore

    try:
        before = date.fromisoformat(args.before)
    except ValueError:
        raise InputError(f"« {args.before} » n'est pas une date AAAA-MM-JJ valide (par exemple 2026-01-31).") from None
    with FeedbackStore.open(args.db, create=False) as store:
        done = store.delete_before(before)
    print(
        f"{done.searches} recherche(s) d'avant le {before} supprimée(s), "
        f"avec {done.shown} partenaire(s) montré(s) et {done.votes} avis."
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
