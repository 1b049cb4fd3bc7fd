"""Issue 14's distillation targets over training seeds, from the evaluation records of results/distill_eval.sh.

    python benchmarks/distill_seeds.py runs/distill_cpu/distill_anymal_c_seed1 runs/distill_cpu/distill_anymal_c_seed2

Each argument is a seed's folder (its evals.jsonl) or an evals.jsonl itself. Per condition and algorithm, over the
seeds: the student's return as a share of its seed's teacher (the teacher of that seed's distilled run, evaluated in
the same record on the same env draws), the gap closed (R - R_zero) / (R_teacher - R_zero) (ant's zero action earns
~1,000 by standing, so the plain ratio flatters it), and the share of episodes that fell. Degradation under a
condition: the return a policy loses against its own in-distribution return, as a share of the teacher's
in-distribution gain over the zero action (0: no loss). The verdicts: DAgger keeps >= 90% of the teacher's return in
distribution (every seed), beats direct PPO with the same env steps (every seed), and on each held-out range degrades
less than direct PPO (seeds counted). The latest record of a (seed, algorithm, condition) counts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

TARGET_RATIO = 0.9


def load(paths: list[str]) -> list[dict]:
    """The evaluation records of every path (a folder holding evals.jsonl, or the file), the latest per (training
    seed, algorithm, condition), each tagged with its source."""
    latest = {}
    for path in paths:
        file = os.path.join(path, "evals.jsonl") if os.path.isdir(path) else path
        if not os.path.exists(file):
            sys.exit(f"distill_seeds.py: no evaluation records at {file} (results/distill_eval.sh writes them)")
        with open(file) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    latest[(file, r["train_seed"], r["student_algo"], r["label"])] = dict(r, source=file)
    return list(latest.values())


def summarize(records: list[dict]) -> dict:
    """Per (condition, algorithm): the seeds' ratio, gap closed, fell share and degradation; and the verdicts."""
    seeds = sorted({(r["source"], r["train_seed"]) for r in records})
    teacher = {}  # (seed, condition) -> the record of the seed's distilled run that carries its teacher
    for r in records:
        if r.get("teacher_return") is not None:
            key = ((r["source"], r["train_seed"]), r["label"])
            if key not in teacher or r["student_algo"] == "dagger":
                teacher[key] = r
    algos = list(dict.fromkeys(r["student_algo"] for r in records))
    conditions = list(dict.fromkeys(r["label"] for r in records))
    rows = {}
    for r in records:
        seed = (r["source"], r["train_seed"])
        t = teacher.get((seed, r["label"]))
        t_in = teacher.get((seed, "in_distribution"))
        own_in = next(
            (x for x in records if (x["source"], x["train_seed"]) == seed and x["student_algo"] == r["student_algo"]
             and x["label"] == "in_distribution"), None)  # fmt: skip
        if t is None:
            continue  # a seed without a distilled run has no teacher to compare with
        T, Z, S = t["teacher_return"], t["zero_return"], r["student_return"]
        cell = rows.setdefault((r["label"], r["student_algo"]), dict(seeds=[], ratio=[], gap=[], fell=[], deg=[]))
        cell["seeds"].append(seed)
        cell["ratio"].append(S / T if T else float("nan"))
        cell["gap"].append((S - Z) / (T - Z) if T != Z else float("nan"))
        cell["fell"].append(r["student_fell"] / max(r["episodes"], 1))
        if t_in is not None and own_in is not None:
            gain = t_in["teacher_return"] - t_in["zero_return"]
            cell["deg"].append((own_in["student_return"] - S) / gain if gain else float("nan"))
        cell.setdefault("teacher", []).append(T)
        cell.setdefault("teacher_fell", []).append(t["teacher_fell"] / max(t["episodes"], 1))
        cell.setdefault("zero", []).append(Z)
    return dict(seeds=seeds, algos=algos, conditions=conditions, rows=rows, verdicts=verdicts(rows, seeds))


def _by_seed(cell: dict | None, key: str) -> dict:
    return dict(zip(cell["seeds"], cell[key], strict=True)) if cell else {}


def verdicts(rows: dict, seeds: list) -> list[str]:
    """Issue 14's targets, each as a line with the seeds that pass."""
    out = []
    dagger = rows.get(("in_distribution", "dagger"))
    if dagger:
        ok = sum(x >= TARGET_RATIO for x in dagger["ratio"])
        out.append(
            f"DAgger keeps >= {TARGET_RATIO:.0%} of the teacher's return in distribution: {ok} of "
            f"{len(dagger['ratio'])} seeds (mean {np.mean(dagger['ratio']):.3f})"
        )
    ppo = rows.get(("in_distribution", "ppo"))
    if dagger and ppo:
        d, p = _by_seed(dagger, "ratio"), _by_seed(ppo, "ratio")
        both = [s for s in d if s in p]
        out.append(f"DAgger beats direct PPO in distribution: {sum(d[s] > p[s] for s in both)} of {len(both)} seeds")
        for label in sorted({c for c, _ in rows if c.startswith("held_out")}):
            d, p = _by_seed(rows.get((label, "dagger")), "deg"), _by_seed(rows.get((label, "ppo")), "deg")
            both = [s for s in d if s in p]
            wins = sum(d[s] < p[s] for s in both)
            out.append(f"{label}: DAgger degrades less than direct PPO in {wins} of {len(both)} seeds")
    out.append(f"seeds: {len(seeds)} (issue 14 asks for 5)")
    return out


def _ms(values: list[float], fmt: str = ".2f") -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():{fmt}} ± {v.std():{fmt}}" if len(v) > 1 else f"{v.mean():{fmt}}"


def table(summary: dict) -> str:
    """Markdown: per condition, the teacher and zero action, then per algorithm ratio, gap closed, fell, degradation."""
    algos = summary["algos"]
    head = "| condition | teacher (fell) | zero action | " + " | ".join(
        f"{a}: /teacher, gap closed, fell, degradation" for a in algos
    )
    lines = [head + " |", "|" + "---|" * (3 + len(algos))]
    for cond in summary["conditions"]:
        cells = [summary["rows"].get((cond, a)) for a in algos]
        ref = next((c for c in cells if c), None)
        if ref is None:
            continue
        row = f"| {cond} | {_ms(ref['teacher'])} ({np.mean(ref['teacher_fell']):.0%}) | {_ms(ref['zero'])} | "
        row += " | ".join(
            "-"
            if c is None
            else f"{_ms(c['ratio'])}, {_ms(c['gap'])}, {np.mean(c['fell']):.0%}, "
            + (f"{_ms(c['deg'], '+.2f')}" if c["deg"] else "-")
            + f" (n={len(c['ratio'])})"
            for c in cells
        )
        lines.append(row + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="seed folders of results/distill_gpu.sh (or their evals.jsonl)")
    p.add_argument("--out", help="also write the table and the verdicts to this markdown file")
    a = p.parse_args(argv)
    s = summarize(load(a.paths))
    text = table(s) + "\n\n" + "\n".join(f"- {v}" for v in s["verdicts"]) + "\n"
    print(text, end="")
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return s


if __name__ == "__main__":
    main()
