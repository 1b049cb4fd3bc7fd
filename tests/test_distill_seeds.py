"""benchmarks/distill_seeds.py: issue 14's targets over seeds from distill_eval.sh's records."""

import json

import pytest

from benchmarks.distill_seeds import load, main, summarize, table


def _record(seed, algo, label, student, teacher=None, zero=1.0, fell=0, episodes=10):
    r = dict(train_seed=seed, student_algo=algo, label=label, student_return=student, zero_return=zero,
             student_fell=fell, episodes=episodes, checkpoint=f"{algo}/{seed}.pt")  # fmt: skip
    if teacher is not None:
        r |= dict(teacher_return=teacher, teacher_fell=1)
    return r


def _write(path, records):
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "evals.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    return str(path)


def test_ratios_gaps_degradation_and_verdicts(tmp_path, capsys):
    # seed 1: DAgger keeps 95% (gap (10.5-1)/(11-1) = 0.95), PPO 50%; held out, DAgger loses 1 of the teacher's gain
    # of 10 (0.1), PPO 3 (0.3). Seed 2: DAgger 80%, PPO 90%; held out, DAgger loses 5 (0.5), PPO 1 (0.1).
    s1 = _write(tmp_path / "s1", [
        _record(1, "dagger", "in_distribution", 10.45, teacher=11.0),
        _record(1, "dagger", "held_out_mass", 9.45, teacher=9.0),
        _record(1, "ppo", "in_distribution", 5.5),
        _record(1, "ppo", "held_out_mass", 2.5, fell=5),
    ])  # fmt: skip
    s2 = _write(tmp_path / "s2", [
        _record(2, "dagger", "in_distribution", 9.0, teacher=999.0),  # superseded by the next record
        _record(2, "dagger", "in_distribution", 8.0, teacher=10.0),
        _record(2, "dagger", "held_out_mass", 3.0, teacher=9.0),
        _record(2, "ppo", "in_distribution", 9.0),
        _record(2, "ppo", "held_out_mass", 8.1),
    ])  # fmt: skip
    s = summarize(load([s1, s2]))
    d, p = s["rows"]["in_distribution", "dagger"], s["rows"]["in_distribution", "ppo"]
    assert d["ratio"] == pytest.approx([0.95, 0.8]) and p["ratio"] == pytest.approx([0.5, 0.9])
    assert d["gap"] == pytest.approx([0.945, 7 / 9])
    dh, ph = s["rows"]["held_out_mass", "dagger"], s["rows"]["held_out_mass", "ppo"]
    assert dh["deg"] == pytest.approx([0.1, 5 / 9]) and ph["deg"] == pytest.approx([0.3, 0.1])
    assert dh["ratio"] == pytest.approx([9.45 / 9, 3 / 9]) and ph["fell"] == pytest.approx([0.5, 0.0])
    v = "\n".join(s["verdicts"])
    assert "in distribution: 1 of 2 seeds (mean 0.875)" in v
    assert "DAgger beats direct PPO in distribution: 1 of 2 seeds" in v
    assert "held_out_mass: DAgger degrades less than direct PPO in 1 of 2 seeds" in v
    assert "seeds: 2 (issue 14 asks for 5)" in v
    text = table(s)
    assert "| in_distribution | 10.50 ± 0.50 (10%) | 1.00 ± 0.00 |" in text and "0.88 ± 0.07" in text
    main([s1, str(tmp_path / "s2" / "evals.jsonl"), "--out", str(tmp_path / "summary.md")])
    assert "held_out_mass" in capsys.readouterr().out
    assert (tmp_path / "summary.md").read_text().endswith("seeds: 2 (issue 14 asks for 5)\n")


def test_missing_records_stop_with_the_path(tmp_path):
    with pytest.raises(SystemExit, match="no evaluation records at .*evals.jsonl"):
        load([str(tmp_path)])
