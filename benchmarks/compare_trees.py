"""Env step throughput of two source trees, interleaved in one run: does a change to envs/ or kernels/ cost speed?

    git worktree add /tmp/base <commit>
    python benchmarks/compare_trees.py /tmp/base . --repeats 13
    python benchmarks/compare_trees.py /tmp/base . --cases ant:1024:20,ant@short:1024:20   # env@obs_layout
    python benchmarks/compare_trees.py /tmp/base . --actions random   # uniform random actions instead of zeros

Each tree runs in a persistent worker process (its own PYTHONPATH and Warp modules); the driver asks them in
turn, alternating which goes first, to time `env.step` for each (env, num_envs) and prints best and median
steps/s by wall clock and by process CPU time. CPU time is the fairer clock on a shared machine: a worker that
is descheduled does not accrue it. Prints only; nothing is written to results/.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time


def worker(actions: str) -> None:
    """Serve `env_id num_envs steps` lines from stdin: step that env and print RESULT wall_rate cpu_rate.

    `env_id@layout` passes obs_layout=layout to an env that has that option (a tree whose env has not: its only one).
    actions "zero": all zeros; "random": 8 fixed batches of uniform [-1, 1] actions (seed 0), cycled (the same in
    both trees, so both walk the same kind of motion: a random-action Ant hops, with fewer feet on the ground).
    """
    import inspect

    import torch
    import warp as wp

    wp.config.quiet = True
    import envs

    made = {}
    for line in sys.stdin:
        env_id, n, steps = line.split()
        n, steps = int(n), int(steps)
        if (env_id, n) not in made:
            name, _, layout = env_id.partition("@")
            has = layout and "obs_layout" in inspect.signature(envs.env_class(name)).parameters
            env = envs.make(name, num_envs=n, device="cpu", seed=0, **({"obs_layout": layout} if has else {}))
            env.reset()
            if actions == "random":
                g = torch.Generator().manual_seed(0)
                batches = [torch.rand(n, env.num_actions, generator=g) * 2 - 1 for _ in range(8)]
            else:
                batches = [torch.zeros(n, env.num_actions)]
            made[(env_id, n)] = (env, batches)
        env, batches = made[(env_id, n)]
        wp.synchronize_device("cpu")
        t0, c0 = time.perf_counter(), time.process_time()
        for s in range(steps):
            env.step(batches[s % len(batches)])
        wp.synchronize_device("cpu")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print("RESULT", n * steps / wall, n * steps / cpu, flush=True)


def main() -> None:
    """Drive one worker per tree and print the comparison."""
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--cases", default="ant:1024:20,ant:4096:6,humanoid:1024:10,humanoid:4096:3")
    parser.add_argument("--actions", choices=("zero", "random"), default="zero")
    args = parser.parse_args()
    trees = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    workers = {
        k: subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", args.actions],
            cwd=path,
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k, path in trees.items()
    }

    def ask(k, cmd):
        workers[k].stdin.write(cmd + "\n")
        workers[k].stdin.flush()
        while line := workers[k].stdout.readline():
            if line.startswith("RESULT"):  # Warp may print module loads on stdout
                return [float(x) for x in line.split()[1:]]
        raise RuntimeError(f"the {k} worker ({trees[k]}) ended")

    for case in args.cases.split(","):
        env_id, n, steps = case.split(":")
        res = {k: [] for k in trees}
        for k in trees:
            ask(k, f"{env_id} {n} 3")  # build, compile, warm up
        for r in range(args.repeats):
            for k in ("old", "new") if r % 2 == 0 else ("new", "old"):
                res[k].append(ask(k, f"{env_id} {n} {steps}"))
        for i, clock in enumerate(("wall", "cpu")):
            old, new = ([x[i] for x in res[k]] for k in ("old", "new"))
            median_ratio = statistics.median(new) / statistics.median(old)
            print(
                f"{env_id} {n} envs {clock}: best old {max(old):.0f} new {max(new):.0f} steps/s, "
                f"new/old {max(new) / max(old):.3f}; median new/old {median_ratio:.3f}",
                flush=True,
            )
    for w in workers.values():
        w.stdin.close()
        w.wait()


if __name__ == "__main__":
    worker(sys.argv[sys.argv.index("--worker") + 1]) if "--worker" in sys.argv else main()
