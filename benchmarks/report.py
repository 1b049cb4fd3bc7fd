"""`throughput.py report`: the figures, the Markdown record and the README section, from the CSVs of the others.

Fixed prose lives in benchmarks/templates/throughput_report.md; this module writes tables and the sentences whose
numbers it computes."""

from __future__ import annotations

import collections
import json
import os
import re
import sys

from benchmarks.common import command_line, read_csv
from benchmarks.gpu_report import occupancy
from benchmarks.plots import plots
from benchmarks.roofline import (
    H100,
    PROJECTION_HEADER,
    cache_sizes,
    fit_launch_and_per_env,
    memcpy_bandwidth,
    projection_rows,
    sgemm_flops,
)
from benchmarks.train_phases import PHASES

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates", "throughput_report.md")
NAMES = ("env", "train", "peers", "gpu", "cost")


def prose() -> dict[str, str]:
    """The template's blocks by name (the paragraph after each `<!-- name -->` line, unwrapped to one line)."""
    with open(TEMPLATE) as f:
        parts = re.split(r"^<!-- (\w+) -->$", f.read(), flags=re.M)
    return {name: " ".join(body.split()) for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def short_kernel(name: str) -> str:
    """A Warp CUDA entry name without its hash and suffix (`_step_kernel_a2e52761_cuda_kernel_forward`)."""
    return re.sub(r"_[0-9a-f]{8}_cuda_kernel_forward$", "", name).replace("make_step_kernel__locals__", "")


def env_table(rows: list[dict]) -> list[str]:
    """The env sweep as a Markdown table."""
    lines = ["### Env-only sweep (`env`)", ""]
    lines += ["| env | num_envs | steps/s (median) | min - max | us per step | ns per env step | Warp bytes/env | "]
    lines[-1] += "RSS bytes/env | compile s |"
    lines += ["|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['env']} | {int(r['num_envs'])} | {r['steps_per_s']:.3e} | {r['steps_per_s_min']:.2e} - "
            f"{r['steps_per_s_max']:.2e} | {r['us_per_step']:.1f} | {r['ns_per_env_step']:.1f} | "
            f"{r['warp_bytes_per_env']:.0f} | {r['rss_bytes_per_env']:.0f} | {r['compile_s']:.2f} |"
        )
    return lines + [""]


def env_scaling(rs: list[dict], bandwidth: float, caches: str) -> str:
    """One env's scaling in a paragraph: fixed and per-env cost, bytes against bandwidth, any cliff, memory."""
    rs = sorted(rs, key=lambda r: r["num_envs"])
    best, last = max(rs, key=lambda r: r["steps_per_s"]), rs[-1]
    a, b, resolved = fit_launch_and_per_env(rs)
    bpe, half = last["warp_bytes_per_env"], a / b if b > 0 else float("nan")
    line = f"- **{rs[0]['env']}**: t(step) = a + b x num_envs, b = {b * 1e9:.1f} ns (per env step at the best point, "
    line += f"{best['steps_per_s']:,.0f} steps/s at {int(best['num_envs'])} envs), a = "
    if resolved:
        line += f"{a * 1e6:.1f} us (Python, launches, sync): half throughput at {half:,.0f} envs, < 10% above "
        line += f"~{10 * half:,.0f}. "
    else:
        line += f"{a * 1e6:.0f} us, within the spread of the repeats at {int(rs[0]['num_envs'])} envs (amortized). "
    traffic = 2 * bpe / b  # each byte the env owns read and written once per step
    verdict = "compute (instruction) bound" if traffic < 0.5 * bandwidth else "near the copy bandwidth"
    line += f"The env owns {bpe:.0f} B per env: {traffic / 1e9:.1f} GB/s at that rate, against "
    line += f"{bandwidth / 1e9:.1f} GB/s single-core copy bandwidth measured by `report`: {verdict}. "
    c = last["ns_per_env_step"] * 1e-9
    if c > 1.3 * b:
        line += f"Past {int(best['num_envs'])} envs ({best['warp_bytes'] / 2**20:.1f} MiB) the per-env cost rises to "
        line += f"{c * 1e9:.1f} ns at {int(last['num_envs'])} envs ({last['warp_bytes'] / 2**20:.1f} MiB; {caches}), "
        line += f"{2 * bpe / c / 1e9:.1f} GB/s: memory latency, not bandwidth. "
    else:
        line += f"No cliff up to {int(last['num_envs'])} envs ({last['warp_bytes'] / 2**20:.1f} MiB). "
    per_env = max(bpe, last["rss_bytes_per_env"])
    line += f"Memory: {per_env:.0f} B per env (Warp arrays or RSS growth): {int(24 * 2**30 / per_env):,} envs fit "
    return line + f"24 GiB and {int(H100['memory_bytes'] / per_env):,} fit 80 GB, env alone."


def train_table(rows: list[dict]) -> list[str]:
    """The PPO points as a Markdown table: SPS and each phase's share of the iteration."""
    lines = ["### PPO iteration per phase (`train`)", ""]
    lines += ["| env | num_envs | num_steps | SPS (median) | min - max | " + " | ".join(PHASES) + " |"]
    lines += ["|---|---:|---:|---:|---|" + "---:|" * len(PHASES)]
    for r in rows:
        shares = " | ".join(f"{100 * r[f'{k}_frac']:.0f}%" for k in PHASES)
        lines.append(
            f"| {r['env']} | {int(r['num_envs'])} | {int(r['num_steps'])} | {r['sps']:,.0f} | "
            f"{r['sps_min']:,.0f} - {r['sps_max']:,.0f} | {shares} |"
        )
    return lines + [""]


def train_scaling(r: dict) -> str:
    """One env's largest PPO point in a sentence: what bounds it, and how many envs fit in memory."""
    per_env = r["storage_bytes_per_env"] + r["env_warp_bytes_per_env"]
    dominant = max(PHASES, key=lambda k: r[f"{k}_frac"])
    bound = "the physics" if dominant == "env_step" else "the learner, not the physics,"
    return (
        f"- **{r['env']} PPO** at {int(r['num_envs'])} envs: {r['sps']:,.0f} SPS; {dominant} takes "
        f"{100 * r[f'{dominant}_frac']:.0f}% of an iteration and the env step {100 * r['env_step_frac']:.0f}%, so "
        f"{bound} bounds training throughput here. Rollout storage at num_steps {int(r['num_steps'])}: "
        f"{r['storage_bytes_per_env']:.0f} B per env ({per_env:.0f} B with the env): {int(24 * 2**30 / per_env):,} "
        f"envs fit 24 GiB and {int(H100['memory_bytes'] / per_env):,} fit 80 GB, before the update's activations."
    )


def peers_table(rows: list[dict], note: str) -> list[str]:
    """The side-by-side rows as a Markdown table, with ratios to the Warp env and to the best peer."""
    lines = ["### Side by side (`peers`), one CPU core each", "", note, ""]
    lines += ["| env | num_envs | implementation | steps/s (median) | min - max | x Warp env | x best peer |"]
    lines += ["|---|---:|---|---:|---|---:|---:|"]
    for r in rows:
        xw = f"{r['x_vs_warp_env']:.2f}" if r["x_vs_warp_env"] else "-"
        xp = f"{r['x_vs_best_peer']:.2f}" if r["x_vs_best_peer"] else "-"
        lines.append(
            f"| {r['env']} | {int(r['num_envs'])} | {r['impl']} | {r['steps_per_s']:.3e} | "
            f"{r['steps_per_s_min']:.2e} - {r['steps_per_s_max']:.2e} | {xw} | {xp} |"
        )
    return lines + [""]


def gpu_table(rows: list[dict], note: str) -> list[str]:
    """The static GPU report as a Markdown table and the register budget per target occupancy."""
    # the run's --block-dim; the tiled solve's rows carry their own (one env per block of 32)
    blocks = [int(r["block_dim"]) for r in rows if not r["module"].startswith("kernels.solve_tiled")]
    block = collections.Counter(blocks or [int(r["block_dim"]) for r in rows]).most_common(1)[0][0]
    lines = [f"### Static GPU report (`gpu`): ptxas -v, block of {block} threads unless its row says otherwise", ""]
    lines += ["| module | kernel | arch | registers | spill st/ld B | stack B | block | occupancy | limiter |"]
    lines += ["|---|---|---|---:|---|---:|---:|---:|---|"]
    for r in rows:
        occ = f"{r['occupancy']:.2f}" if r["occupancy"] is not None else "-"
        lines.append(
            f"| {r['module']} | `{short_kernel(r['kernel'])}` | {r['arch']} | {r['registers']} | "
            f"{r['spill_stores']}/{r['spill_loads']} | {r['stack_bytes']} | {int(r['block_dim'])} | {occ} | "
            f"{r['limiter']} |"
        )
    # 0 where no register count reaches the occupancy (small blocks hit the blocks-per-SM limit first)
    budget = [max((g for g in range(1, 256) if occupancy(g, 0, block, 90)[0] >= t), default=0) for t in (1, 0.5, 0.25)]
    spilled = sorted({short_kernel(r["kernel"]) for r in rows if (r["spill_stores"] or 0) > 0})
    spills = f"Spilling: {', '.join(spilled)}." if spilled else "No kernel spills."
    return lines + ["", note.format(block=block, full=budget[0], half=budget[1], quarter=budget[2], spills=spills), ""]


def cost_table(rows: list[dict], note: str) -> list[str]:
    """The priced points as a Markdown table."""
    lines = [f"### Cost (`cost`, {rows[0]['usd_per_hour']} USD per hour)", "", note, ""]
    lines += [
        "| source | env | num_envs | steps/s | USD per 1e9 steps | hours to 1e9 steps |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        hours, n = r.get("hours_to_1e+09"), r["num_envs"]
        lines.append(
            f"| {r['source']} | {r['env']} | {int(n) if n else '-'} | {r['steps_per_s']:,.0f} | "
            f"{r['usd_per_billion_steps']:.3g} | {f'{hours:.3g}' if hours is not None else '-'} |"
        )
    return lines + [""]


def headlines(peer_rows: list[dict], train_rows: list[dict]) -> list[str]:
    """The Warp env against its fastest peer at the largest num_envs, and PPO's best SPS, per env."""
    lines = []
    for env_id in sorted({r["env"] for r in peer_rows}):
        n = max(r["num_envs"] for r in peer_rows if r["env"] == env_id)
        same = [r for r in peer_rows if r["env"] == env_id and r["num_envs"] == n]
        ours = [r for r in same if r["impl"].startswith("warp (full")]
        others = [r for r in same if not r["impl"].startswith("warp")]
        if ours and others:
            peer = max(others, key=lambda r: r["steps_per_s"])
            lines.append(
                f"- {env_id}, {n:,} envs, one core each: Warp {ours[0]['steps_per_s']:,.0f} env steps/s, "
                f"{ours[0]['steps_per_s'] / peer['steps_per_s']:.1f}x the fastest peer ({peer['impl']}, "
                f"{peer['steps_per_s']:,.0f})."
            )
    for env_id in sorted({r["env"] for r in train_rows}):
        r = max((r for r in train_rows if r["env"] == env_id), key=lambda r: r["sps"])
        dominant = max(PHASES, key=lambda k: r[f"{k}_frac"])
        lines.append(
            f"- PPO on {env_id}: {r['sps']:,.0f} SPS at {int(r['num_envs']):,} envs; {dominant} "
            f"{100 * r[f'{dominant}_frac']:.0f}% of the iteration, env step {100 * r['env_step_frac']:.0f}%."
        )
    return ["Headlines (medians; every figure below has its min and max in the CSV):", "", *lines, ""] if lines else []


def provenance_lines(records: dict) -> list[str]:
    """Each record's command with its date, commit and load, the report's own command, and the machine."""
    lines = [
        f"    {r['command']}    # {r['date_utc']}, commit {r['git_commit'][:12]}, "
        f"load {r['machine']['loadavg_at_start'][0]:.2f}"
        for r in records.values()
    ]
    lines += [f"    {command_line()}", ""]
    if records:
        rec = next(iter(records.values()))
        m, versions = rec["machine"], ", ".join(f"{k} {v}" for k, v in rec["versions"].items())
        lines += [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, GPU: {m['gpu']}; {versions}", ""]
    return lines


def body(rows: dict, text: dict) -> tuple[list[str], list[str], list[str]]:
    """Tables, scaling paragraphs and the H100 projection from whichever CSVs exist."""
    env_rows, train_rows, gpu_rows = rows["env"], rows["train"], rows["gpu"]
    bandwidth, tables, scaling, projection = memcpy_bandwidth(), [], [], []
    if env_rows:
        caches = cache_sizes()
        tables += env_table(env_rows)
        scaling += [
            env_scaling([r for r in env_rows if r["env"] == e], bandwidth, caches)
            for e in sorted({r["env"] for r in env_rows})
        ]
    if train_rows:
        tables += train_table(train_rows)
        for env_id in sorted({r["env"] for r in train_rows}):
            scaling.append(
                train_scaling(max((r for r in train_rows if r["env"] == env_id), key=lambda r: r["num_envs"]))
            )
    if rows["peers"]:
        tables += peers_table(rows["peers"], text["peers"])
    if gpu_rows and env_rows:
        cpu_flops = sgemm_flops()
        numbers = dict(hbm_tb_s=H100["hbm_bytes_per_s"] / 1e12, fp32_tflop_s=H100["fp32_flops_per_s"] / 1e12)
        numbers.update(cpu_gflop_s=cpu_flops / 1e9, copy_gb_s=bandwidth / 1e9, launch_us=H100["launch_s"] * 1e6)
        projection += [
            "### H100 projection (a projection, not a measurement)",
            "",
            text["projection"].format(**numbers),
        ]
        projection += ["", *PROJECTION_HEADER, *projection_rows(env_rows, gpu_rows, cpu_flops, bandwidth), ""]
    if gpu_rows:
        tables += gpu_table(gpu_rows, text["gpu"])
    if rows["cost"]:
        tables += cost_table(rows["cost"], text["cost"])
    return tables, scaling, projection


def run(out: str, section: str | None) -> None:
    """Write the figures and <out>/README.md into out, and the README section to `section` (default: in out)."""
    section = section or os.path.join(out, "README_throughput_section.md")
    rows = {name: read_csv(os.path.join(out, f"{name}.csv")) for name in NAMES}
    if rows["train"] and "collect_other_s" not in rows["train"][0]:
        print("train.csv predates ppo_warp.py's phase clocks (rerun `train`): its table is left out", file=sys.stderr)
        rows["train"] = []
    records = {}
    for name in NAMES:
        if os.path.exists(path := os.path.join(out, f"{name}.json")):
            with open(path) as f:
                records[name] = json.load(f)
    text = prose()
    figures = plots(out, rows["env"], rows["train"], rows["peers"])
    tables, scaling, projection = body(rows, text)
    shown_out = os.path.relpath(out) if not os.path.relpath(out).startswith("..") else out
    lines = ["## Throughput: where the time goes, scaling, cost", "", text["intro"].format(out=shown_out), ""]
    lines += provenance_lines(records) + headlines(rows["peers"], rows["train"]) + tables
    lines += ["### Scaling", "", *scaling, "", text["scaling"], "", *projection]
    lines += [f"Figures: {', '.join(f'`{os.path.basename(p)}`' for p in figures)} in `{shown_out}/`.", ""]
    md = "\n".join(lines)
    os.makedirs(os.path.dirname(os.path.abspath(section)), exist_ok=True)
    with open(section, "w") as f:
        f.write(md)
    files = sorted(f for f in os.listdir(out) if f.endswith((".csv", ".json", ".png", ".sh")))
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("# Throughput record (cleanppo/throughput.py)\n\n" + md.split("\n", 2)[2] + "\n")
        f.write(text["files"].format(files=", ".join(f"`{name}`" for name in files)) + "\n")
    print(f"wrote {section}, {os.path.join(out, 'README.md')} and {len(figures)} figures")
