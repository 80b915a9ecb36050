"""Does CERG's second-hand protocol matter?  Two details of Gers 2000's continual-stream protocol are known
only from reading notes [S] (``primary-sources-2.md`` §3.2), and the chapter has to pick one reading of each:

* ``squared``: when a prediction is right.  The chapter: every output within 0.49 of its 0/1 target
  (|e| < 0.49).  One note says "squared error below 0.49", i.e. every |e| < 0.7: a laxer cut, so training
  streams run longer before their first error.  (The other note's "MSE of all outputs below 0.49" is not
  run: it would pass a step whose wrong output is off by 1 while the other six are right, 1/7 < 0.49.)
* ``long_streams``: how long a training stream may run.  The chapter: 100,000 symbols (the newer note,
  and the test streams' length [P]); the older note says 1,000,000.

Each change is run beside the chapter's reading (``chapter``) on the rows where nets learn, from the same
initial weights and the same strings (the seeds derive from the row, not the change), at the chapter's
default budget; ``scripts/cerg_protocol_check.py`` runs it resumably and writes
``forgetting_protocol_check.json``, which the chapter reads from ``reference_runs/``.
"""

from __future__ import annotations

import math

from ...study.jobs import check_job_options, choose_names
from ...study.results import read_named_results
from .cerg_jobs import SCALES, CERGJob
from .chapter import cerg_ours_text, summarise_cerg
from .protocols import CERG_PROTOCOLS

#: The results file of ``scripts/cerg_protocol_check.py``: its chapter name.
CHECK_STUDY = "forgetting_protocol_check"

#: Each reading: what it is, and its changes to a :class:`~.protocols.CERGProtocol`.
VARIANTS = {
    "chapter": ("the chapter's reading: a step is right when every output is within 0.49 of its target; "
                "training streams of at most 100,000 symbols", {}),
    "squared": ("a step is right when every output's squared error is below 0.49 (|e| < 0.7)", {"tolerance": 0.7}),
    "long_streams": ("training streams of at most 1,000,000 symbols", {"train_length": 1_000_000}),
}

#: The rows checked by default: where nets learn at the chapter's budget (the others fail either way).
CHECK_ROWS = ("cerg_reset", "cerg_forget", "cerg_forget_decay")


def variant_protocol(row, name):
    """Row ``row`` of :data:`.CERG_PROTOCOLS` with reading ``name``'s changes, keyed ``<row>__<name>``."""
    base = CERG_PROTOCOLS[row]
    return base.replace(key=f"{row}__{name}", title=f"{base.title} ({name})", **VARIANTS[name][1])


def row_and_variant(key) -> tuple[str, str]:
    """``cerg_forget__squared`` -> ``("cerg_forget", "squared")``."""
    row, sep, name = key.rpartition("__")
    if not sep or row not in CERG_PROTOCOLS or name not in VARIANTS:
        raise ValueError(f"not a protocol-check key: {key!r}")
    return row, name


class CheckJob(CERGJob):
    """A :class:`~.cerg_jobs.CERGJob` whose seeds derive from the unvaried row, so that every reading starts
    from the same weights and sees the same strings."""

    def seeds(self) -> dict:
        row, _ = row_and_variant(self.protocol.key)
        return CERGJob(CERG_PROTOCOLS[row], self.arch, self.trials, self.budget, self.seed, self.test_from,
                       self.max_symbols).seeds()


def check_jobs(rows=None, variants=None, trials=10, budget=None, seed=0) -> list[CheckJob]:
    """One job per row and reading, validated before any work starts: ``trials`` nets each, ``budget``
    training streams (default: the chapter's default scale, with its symbol cap)."""
    check_job_options(seed, trials=trials, budget=budget)
    keys = choose_names(rows, CHECK_ROWS, CERG_PROTOCOLS, "row")
    names = choose_names(variants, VARIANTS, VARIANTS, "variant")
    jobs = []
    for row in keys:
        plan = SCALES["default"][row]
        for name in names:
            p = variant_protocol(row, name)
            jobs.append(CheckJob(p, p.arch, trials, budget or plan["budget"], seed, None, plan["max_symbols"]))
    for job in jobs:
        job.check()
    return jobs


def read_check_study(folder):
    """The results document of ``scripts/cerg_protocol_check.py`` in ``folder``, or None."""
    return read_named_results(folder, CHECK_STUDY)


def fisher_p(a, n, b, m) -> float:
    """Two-sided p-value of Fisher's exact test of ``a`` of ``n`` against ``b`` of ``m`` (the tables no
    likelier than the observed one)."""
    total = a + b

    def prob(k):
        return math.comb(n, k) * math.comb(m, total - k) / math.comb(n + m, total)
    lo, hi = max(0, total - m), min(n, total)
    observed = prob(a)
    return min(1.0, sum(prob(k) for k in range(lo, hi + 1) if prob(k) <= observed * (1 + 1e-9)))


def check_rows(doc) -> list[dict]:
    """Per row and reading: the nets in Table 2's terms, and against the chapter's reading of the same row
    the p-value of Fisher's exact test on the perfect nets and on the perfect-or-good nets, and a verdict
    ("matters" when either p < 0.05, else "no measurable difference"; "baseline" for the chapter's)."""
    by = {row_and_variant(r["protocol"]): (summarise_cerg(r), r) for r in doc["records"]}
    rows = []
    for (row, name), (s, record) in by.items():
        base = by.get((row, "chapter"), (None,))[0]
        good = s["perfect"] + s["good"]
        if name == "chapter":
            p_perfect = p_good = float("nan")
            verdict = "baseline"
        elif base is None:
            p_perfect = p_good = float("nan")
            verdict = "not compared (no baseline in this run)"
        else:
            p_perfect = fisher_p(s["perfect"], s["trials"], base["perfect"], base["trials"])
            p_good = fisher_p(good, s["trials"], base["perfect"] + base["good"], base["trials"])
            verdict = "matters" if min(p_perfect, p_good) < 0.05 else "no measurable difference"
        rows.append({"row": row, "title": CERG_PROTOCOLS[row].title, "variant": name, "what": VARIANTS[name][0],
                     "trials": s["trials"], "perfect": s["perfect"], "good": s["good"], "bad": s["bad"],
                     "ours": cerg_ours_text(s), "p_perfect": p_perfect, "p_good": p_good, "verdict": verdict,
                     "symbol_capped": sum(bool(t.get("symbol_cap")) for t in record["trials"])})
    return rows


def pooled_rows(doc) -> list[dict]:
    """Per reading other than the chapter's, its perfect nets summed over the rows that also ran the chapter's
    reading, against the chapter's over the same rows, with Fisher's exact test.  Chosen after seeing the
    per-row results (each row alone has 10 nets): a pooled comparison, labelled so in the chapter."""
    rows = check_rows(doc)
    base = {r["row"]: r for r in rows if r["variant"] == "chapter"}
    out = []
    for name in [v for v in VARIANTS if v != "chapter"]:
        mine = [r for r in rows if r["variant"] == name and r["row"] in base]
        if not mine:
            continue
        k, n = sum(r["perfect"] for r in mine), sum(r["trials"] for r in mine)
        kb, nb = sum(base[r["row"]]["perfect"] for r in mine), sum(base[r["row"]]["trials"] for r in mine)
        out.append({"variant": name, "what": VARIANTS[name][0], "rows": [r["row"] for r in mine], "perfect": k,
                    "trials": n, "chapter_perfect": kb, "chapter_trials": nb, "p": fisher_p(k, n, kb, nb)})
    return out


def check_table_html(doc) -> str:
    """The study's rows as an HTML table (the chapter displays it)."""
    head = ("<tr><th>row</th><th>reading</th><th>nets (Table 2's terms)</th><th>p (perfect)</th>"
            "<th>p (perfect or good)</th><th>verdict</th></tr>")

    def p(v):
        return "" if not math.isfinite(v) else f"{v:.2g}"
    body = [f"<tr><td>{r['title']}</td><td>{r['what']}</td><td>{r['ours']}</td><td>{p(r['p_perfect'])}</td>"
            f"<td>{p(r['p_good'])}</td><td>{r['verdict']}</td></tr>" for r in check_rows(doc)]
    return "<table>" + head + "".join(body) + "</table>"


def check_text(doc, where) -> str:
    """What the study found, in a few sentences (``where``: its folder, as the text names it)."""
    if doc is None:
        return (f"(The protocol check was not found in {where}: run `python scripts/cerg_protocol_check.py` "
                "to write it.)")
    prov, par = doc["provenance"], doc["parameters"]
    rows = check_rows(doc)
    plan = SCALES["default"][rows[0]["row"]]  # the jobs' budget (unless given) and symbol cap
    text = (f"The protocol check ({where}: `python scripts/cerg_protocol_check.py`, {rows[0]['trials']} nets per "
            f"row and reading, at most {par['budget'] or plan['budget']:,} training streams and "
            f"{plan['max_symbols']:,} training symbols per net, seed {doc['seed']}, commit {prov['commit'][:12]}, "
            f"{prov['date'][:10]}{', partial' if par.get('partial') else ''}) ran each reading from the same "
            "initial weights and strings. ")
    matters = [r for r in rows if r["verdict"] == "matters"]
    compared = [r for r in rows if r["verdict"] in ("matters", "no measurable difference")]
    if matters:
        text += "It matters: " + "; ".join(f"{r['title']}, {r['what']}: {r['ours']}" for r in matters) + ". "
    elif compared:
        text += ("No reading changes the outcome of a row measurably (Fisher's exact test at 0.05, on "
                 f"{rows[0]['trials']} nets a row: only large differences are detectable). ")
    for r in [r for r in pooled_rows(doc) if len(r["rows"]) > 1]:  # one row: its own line says it
        side = "more" if r["perfect"] > r["chapter_perfect"] else "fewer" if r["perfect"] < r["chapter_perfect"] \
            else "as many"
        text += (f"Pooled over the {len(r['rows'])} rows (a comparison chosen after seeing them), {r['what']} gives "
                 f"{side} perfect nets: {r['perfect']}/{r['trials']} against the chapter's {r['chapter_perfect']}/"
                 f"{r['chapter_trials']} (p = {r['p']:.2g}{', significant at 0.05' if r['p'] < 0.05 else ''}). ")
    return text
