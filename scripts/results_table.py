#!/usr/bin/python3
"""Regenerates docs/RESULTS.md: FD, class accuracy and sampling speed of every bundled model and sampler,
measured by `cmstudio-cli eval` with the project's own evaluator. Every measurement is cached in
docs/results/cache.jsonl under the model file's SHA-256 and the exact arguments, so the script can be
interrupted and run again (it only measures what is missing) and a retrained model is measured afresh.
The speed column comes from a separate pass at the end (SPEED_SAMPLES images per row, 2 threads), so the
long quality runs may share the machine; each speed figure records the load average before it ran. The
pass is made SPEED_REPEATS times over all rows and each row reports its median: this shared 2-core
machine's speed drifts by up to 2x over minutes, and interleaved repeats keep one slow or fast spell
from deciding a row.
Environment: SAMPLES (default 10000), COLOUR_SAMPLES (4000; the emoji set has 3,926 images),
SEARCH_SAMPLES (1000), SPEED_SAMPLES (400), SPEED_REPEATS (3), THREADS (0 = engine default),
ONLY_CACHED=1 (write the report from the cache without measuring anything).
It writes only its own marked section ("models", results_sections.py) of docs/RESULTS.md: the other
sections (the tokenizer table, the hand-added bf16 comparisons) stay as they are."""
import hashlib, json, os, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_sections  # noqa: E402  (the marked-section convention every results script shares)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("CMSTUDIO_CLI", os.path.join(ROOT, "build/app/cmstudio-cli"))
PLOT = os.path.join(ROOT, "build/tools/cmstudio-plot")
MODELS = os.path.join(ROOT, "resources/models")
OUT = os.environ.get("RESULTS_DOCS", os.path.join(ROOT, "docs"))  # another folder: tests/test_results_sections.py
CACHE = os.path.join(OUT, "results/cache.jsonl")
SAMPLES = int(os.environ.get("SAMPLES", "10000"))
COLOUR_SAMPLES = int(os.environ.get("COLOUR_SAMPLES", "4000"))
SEARCH_SAMPLES = int(os.environ.get("SEARCH_SAMPLES", "1000"))
SPEED_SAMPLES = int(os.environ.get("SPEED_SAMPLES", "400"))
SPEED_REPEATS = int(os.environ.get("SPEED_REPEATS", "3"))
THREADS = os.environ.get("THREADS", "0")
ONLY_CACHED = os.environ.get("ONLY_CACHED") == "1"

FASHION_EVALUATOR = os.path.join(MODELS, "fashion-mnist-classifier.safetensors")
FASHION = [  # (key, name, file)
    ("teacher", "EDM teacher", "fashion-mnist-edm.safetensors"),
    ("cd", "CD (distilled from the teacher)", "fashion-mnist-cd.safetensors"),
    ("ict", "iCT (from scratch, no teacher)", "fashion-mnist-ict.safetensors"),
    ("ect", "ECT (tuned from the teacher)", "fashion-mnist-ect.safetensors"),
]
DEFAULT_MODEL = "cd"  # the model the app opens first (core/model_locator)
UNCONDITIONAL = "1 step, unconditional"
# Issue 14's targets for the default model, against the figures the bundled models had when it was filed.
EARLIER_TEACHER_HEUN35_FD = 57.068
EMOJI_EVALUATOR = os.path.join(MODELS, "noto-emoji-autoencoder.safetensors")
EMOJI_FOLDER = os.path.join(ROOT, "runs/noto-emoji")  # made by scripts/make-emoji-folder.sh
EMOJI = [  # (key, name, file, sampler rows)
    ("emoji-teacher", "Noto emoji EDM teacher", "noto-emoji-edm.safetensors",
     [("Heun", ["--sampler", "heun", "--points", "18"]), ("Heun", ["--sampler", "heun", "--points", "5"])]),
    ("emoji-ect", "Noto emoji ECT (tuned from the teacher)", "noto-emoji-ect.safetensors",
     [("1 step", []), ("2 steps", ["--sampler", "multistep", "--sigmas", "80,0.8"])]),
]
# Teacher rows: Euler at 1, 2, 4, 8, 16 NFE; Heun uses 2N-1 evaluations, so 3, 5, 9, 17 and 35.
# Measured in this order: the 35-NFE reference that the targets divide by first, so that a run cut short
# still has it (each measurement is cached as it ends), then cheapest first; the report lists them by
# sampler and NFE.
TEACHER_ROWS = [("Heun", ["--sampler", "heun", "--points", "18"])] + \
               [("Euler", ["--sampler", "euler", "--points", str(n)]) for n in (1, 2, 4, 8, 16)] + \
               [("Heun", ["--sampler", "heun", "--points", str(n)]) for n in (2, 3, 5, 9)]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def load_cache():
    cache = {}
    if os.path.exists(CACHE):
        with open(CACHE) as f:
            for line in f:
                if line.strip():
                    entry = json.loads(line)
                    cache[entry["key"]] = entry["result"]
    return cache


CACHED = load_cache()
NOT_MEASURED = []  # with ONLY_CACHED: the measurements the report still lacks


def measure(args, files, threads=None, repeat=0):
    """Runs `cmstudio-cli eval ... --json` unless the cache has it; returns the parsed JSON or None.
    A fixed `threads` (the speed pass) and the speed pass's repeat number are part of the cache key;
    THREADS, which does not change the figures, is not."""
    # Paths relative to the checkout, so the cache stays valid in another clone.
    portable = [arg.replace(ROOT + os.sep, "") for arg in args]
    tags = ([] if threads is None else ["threads=" + threads]) + (["repeat=%d" % repeat] if repeat else [])
    key = json.dumps([portable + tags, {os.path.basename(f): sha256(f) for f in files}])
    threads = THREADS if threads is None else threads
    if key in CACHED:
        return CACHED[key]
    if ONLY_CACHED:
        NOT_MEASURED.append(args)
        return None
    print("measuring:", " ".join(args), flush=True)
    start, load = time.time(), os.getloadavg()[0]
    run = subprocess.run([CLI, "eval", "--json", "--threads", threads] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        sys.exit("eval failed (%d): %s" % (run.returncode, run.stderr.strip().splitlines()[-1]))
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = round(time.time() - start, 1)
    result["load_before"] = round(load, 2)
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    with open(CACHE, "a") as f:
        f.write(json.dumps({"key": key, "result": result}) + "\n")
    CACHED[key] = result
    return result


def fmt_sigmas(sigmas):
    return ", ".join("%g" % s for s in sigmas)


def main():
    speed_runs = []  # (row result, eval arguments without --n, files)
    if not os.path.exists(FASHION_EVALUATOR):
        sys.exit("missing " + FASHION_EVALUATOR)
    ev = ["--evaluator", FASHION_EVALUATOR]
    n = ["--n", str(SAMPLES)]
    floor = measure(ev + ["--floor"], [FASHION_EVALUATOR])
    rows, searches, missing = [], {}, []
    # The consistency models' rows are cheap: measure them before the teacher's long multi-step rows.
    for key, name, filename in sorted(FASHION, key=lambda model: model[0] == "teacher"):
        path = os.path.join(MODELS, filename)
        if not os.path.exists(path):
            missing.append(name)
            continue
        files = [path, FASHION_EVALUATOR]
        model = ["-m", path]
        grid = os.path.join(OUT, "grids", "fashion-mnist-%s.png" % key)
        os.makedirs(os.path.dirname(grid), exist_ok=True)
        if key == "teacher":
            for sampler, args in TEACHER_ROWS:
                extra = ["--grid", grid, "--zoom", "2"] if args[-1] == "18" else []
                r = measure(model + ev + n + args + extra, files)
                if r: rows.append((key, name, sampler, r))
                speed_runs.append((r, model + ev + args, files))
            continue
        r = measure(model + ev + n + ["--grid", grid, "--zoom", "2"], files)
        if r: rows.append((key, name, "1 step", r))
        speed_runs.append((r, model + ev, files))
        # Issue 14: null-label samples against class-conditional ones (the target is the default model's).
        r = measure(model + ev + n + ["--unconditional"], files)
        if r: rows.append((key, name, UNCONDITIONAL, r))
        for steps in (2, 3):
            found = measure(model + ev + ["--reference", "fashion-mnist-validation", "--n", str(SEARCH_SAMPLES),
                                          "--search-sigmas", str(steps)], files)
            if not found:
                continue
            searches[(key, steps)] = found
            sigmas = ",".join("%r" % s for s in found["sigmas"])
            r = measure(model + ev + n + ["--sampler", "multistep", "--sigmas", sigmas], files)
            if r: rows.append((key, name, "%d steps" % steps, r))
            speed_runs.append((r, model + ev + ["--sampler", "multistep", "--sigmas", sigmas], files))
    order = [key for key, _, _ in FASHION]
    rows.sort(key=lambda row: (order.index(row[0]), row[2] if row[0] == "teacher" else "", row[3]["nfe"]))
    colour = measure_colour(speed_runs)
    measure_speed(speed_runs)
    write_report(floor, rows, searches, missing, colour)


def measure_speed(speed_runs):
    """Replaces each row's seconds per 1,000 images by the median of SPEED_REPEATS short runs of its own
    on 2 threads, made after the quality runs so that they can be made on an otherwise idle machine
    (their load averages are kept). Each repeat goes over every row before the next one starts."""
    timings = {id(r): [] for r, _, _ in speed_runs if r is not None}
    for repeat in range(SPEED_REPEATS):
        for r, args, files in speed_runs:
            if r is None:
                continue
            timed = measure(args + ["--n", str(SPEED_SAMPLES)], files, threads="2", repeat=repeat)
            if timed:
                timings[id(r)].append(timed)
    for r, _, _ in speed_runs:
        if r is None:
            continue
        runs = timings[id(r)]
        if len(runs) < SPEED_REPEATS:
            r["seconds_per_1000"] = None
            continue
        seconds = sorted(t["seconds_per_1000"] for t in runs)
        r["seconds_per_1000"] = seconds[len(seconds) // 2]
        r["speed_spread"] = seconds[-1] / seconds[0]
        r["speed_loads"] = [t["load_before"] for t in runs]


def measure_colour(speed_runs):
    """The colour set: FD on the project's emoji autoencoder features against all 3,926 emoji, unconditional
    samples; its floor is the FD between the two halves of the set (every 2nd image)."""
    if not os.path.exists(EMOJI_EVALUATOR):
        return None
    if not os.path.isdir(EMOJI_FOLDER) and not ONLY_CACHED:
        subprocess.run([os.path.join(ROOT, "scripts/make-emoji-folder.sh"), EMOJI_FOLDER], check=True,
                       stdout=subprocess.DEVNULL)
    ev = ["--evaluator", EMOJI_EVALUATOR, "--reference", EMOJI_FOLDER]
    floor = measure(ev + ["--floor"], [EMOJI_EVALUATOR])
    rows = []
    for key, name, filename, samplers in EMOJI:
        path = os.path.join(MODELS, filename)
        if not os.path.exists(path):
            continue
        for sampler, args in samplers:
            r = measure(["-m", path, "--unconditional", "--n", str(COLOUR_SAMPLES)] + ev + args,
                        [path, EMOJI_EVALUATOR])
            if r: rows.append((key, name, sampler, r))
            speed_runs.append((r, ["-m", path, "--unconditional"] + ev + args, [path, EMOJI_EVALUATOR]))
    return floor, rows


def speed(r):
    return "-" if r.get("seconds_per_1000") is None else "%.1f" % r["seconds_per_1000"]


def speed_note(rows):
    timed = [r for *_, r in rows if r.get("seconds_per_1000") is not None and "speed_loads" in r]
    if not timed:
        return []
    loads = [load for r in timed for load in r["speed_loads"]]
    spreads = [r["speed_spread"] for r in timed]
    return ["Seconds per 1,000 images: the median of %d separate runs of %d images per row on 2 threads, "
            "sampling only (no features), the repeats interleaved over all rows; the 1-minute load average "
            "before these runs was %.2f to %.2f. The slowest run of a row took %.2f to %.2f times its fastest "
            "(median %.2f): this shared machine's speed drifts." % (
                SPEED_REPEATS, SPEED_SAMPLES, min(loads), max(loads), min(spreads), max(spreads),
                sorted(spreads)[len(spreads) // 2]), ""]


def teacher_best(rows, max_nfe):
    fds = [r["fd"] for k, _, _, r in rows if k == "teacher" and r["nfe"] <= max_nfe]
    return min(fds) if fds else None


def write_report(floor, rows, searches, missing, colour):
    lines = ["# Measured results", "",
             "Generated by `scripts/make-results-table.sh` (this section only; do not edit it by hand). Every figure was measured on "
             "this project's 2-core CPU machine by `cmstudio-cli eval`.", "",
             "**Evaluator.** `resources/models/fashion-mnist-classifier.safetensors`, a CNN trained by this "
             "project (`cmstudio-cli train-evaluator`) on the 60,000 Fashion-MNIST training images. FD is the "
             "Frechet distance between its 128-d penultimate features of the samples and of the 10,000 test "
             "images (the FID formula; values are not comparable to Inception FIDs). Class accuracy is the "
             "share of class-conditional samples the classifier assigns to the class asked for. Samples are "
             "class-conditional with balanced classes (sample j asks for class j mod 10), seeds 0..N-1, "
             "rounded to 8 bits like a saved PNG.", ""]
    if floor:
        lines += ["**FD floor** (10,000 training images against the test set): **%.3f**." % floor["fd"], ""]
    lines += ["| model | sampler | NFE | sigmas | FD | class accuracy | s / 1,000 images | samples |",
              "|---|---|---:|---|---:|---:|---:|---:|"]
    for key, name, sampler, r in rows:
        acc = "%.1f%%" % (100 * r["class_accuracy"]) if r["class_accuracy"] >= 0 else "-"
        lines.append("| %s | %s | %d | %s | %.3f | %s | %s | %d |" % (
            name, sampler, r["nfe"], fmt_sigmas(r["sigmas"]), r["fd"], acc, speed(r), r["samples"]))
    lines.append("")
    lines += speed_note(rows)
    if NOT_MEASURED:
        lines += ["**Incomplete:** %d measurements are not in the cache yet (run the script again to add them)." %
                  len(NOT_MEASURED), ""]
    if missing:
        lines += ["Not measured yet (model not in resources/models): " + ", ".join(missing) + ".", ""]
    if searches:
        lines += ["**Intermediate sigmas** were chosen by a greedy search on a validation split (every 6th "
                  "training image, 10,000 images; %d samples per candidate, 8 log-spaced candidates between "
                  "0.02 and 40), never on the test set:" % SEARCH_SAMPLES, ""]
        for (key, steps), found in sorted(searches.items()):
            tried = "; ".join("%s: %.2f" % (fmt_sigmas(t["sigmas"][1:]), t["fd"]) for t in found["trials"]
                              if len(t["sigmas"]) == steps)
            lines.append("- %s, %d steps: **%s** (validation FD by candidate: %s)" % (key, steps,
                         fmt_sigmas(found["sigmas"]), tried))
        lines.append("")
    lines += targets(rows)
    if colour and colour[1]:
        colour_floor, colour_rows = colour
        lines += ["## The colour model (Noto emoji, 32x32 RGB, unconditional)", "",
                  "FD on the 128-d bottleneck features of `noto-emoji-autoencoder.safetensors` (an autoencoder "
                  "this project trained on the emoji) of %d unconditional samples against all 3,926 emoji; no class "
                  "accuracy (no labels)." % COLOUR_SAMPLES]
        if colour_floor:
            lines += ["", "**FD floor** (one half of the emoji against the other): **%.3f**." % colour_floor["fd"]]
        lines += ["", "| model | sampler | NFE | sigmas | FD | s / 1,000 images | samples |", "|---|---|---:|---|---:|---:|---:|"]
        for key, name, sampler, r in colour_rows:
            lines.append("| %s | %s | %d | %s | %.3f | %s | %d |" % (
                name, sampler, r["nfe"], fmt_sigmas(r["sigmas"]), r["fd"], speed(r), r["samples"]))
        lines.append("")
    os.makedirs(os.path.join(OUT, "results"), exist_ok=True)
    series_path = os.path.join(OUT, "results", "fd-vs-nfe.csv")
    with open(series_path, "w") as f:
        f.write("series,x,y\n")
        for key, name, sampler, r in rows:
            if sampler == UNCONDITIONAL:  # another task, not a point on the class-conditional curves
                continue
            label = name.split(" (")[0] + (" " + sampler if key == "teacher" else "")
            f.write("%s,%d,%.6f\n" % (label, r["nfe"], r["fd"]))
    plot = os.path.join(OUT, "results", "fd-vs-nfe.png")
    if rows and os.path.exists(PLOT):
        args = [PLOT, "--csv", series_path, "-o", plot, "--log-x", "--log-y", "--x-label",
                "network evaluations per image (NFE)", "--y-label", "FD to the test set (lower is better)",
                "--title", "Fashion-MNIST: FD against NFE (%d samples per point)" % SAMPLES]
        if floor:
            args += ["--hline", "FD floor (train vs test)=%g" % floor["fd"]]
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR="/tmp")
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lines += ["![FD against NFE](results/fd-vs-nfe.png)", ""]
    grids = sorted(g for g in os.listdir(os.path.join(OUT, "grids"))) if os.path.isdir(os.path.join(OUT, "grids")) else []
    if grids:
        lines += ["**Sample grids** (the first 100 samples of the 1-step rows and of the teacher's Heun-35 row; "
                  "column c is class c): " + ", ".join("[%s](grids/%s)" % (g, g) for g in grids) + ".", ""]
    results_sections.write_section(os.path.join(OUT, "RESULTS.md"), "models", "\n".join(lines), at_start=True)
    print("wrote docs/RESULTS.md (%d rows)" % len(rows))


def targets(rows):
    def fd(key, sampler):
        for k, _, s, r in rows:
            if k == key and s == sampler:
                return r
        return None
    out = ["## Targets", ""]
    heun35 = next((r for k, _, s, r in rows if k == "teacher" and r["nfe"] == 35), None)
    def verdict(ok):
        return "**met**" if ok else "**missed**"
    if heun35:
        for sampler, factor in (("1 step", 2.0), ("2 steps", 1.5)):
            r = fd("cd", sampler)
            if r:
                ratio = r["fd"] / heun35["fd"]
                out.append("- CD %s FD / teacher Heun-35 FD = %.2f (target <= %.1f): %s" % (
                    sampler, ratio, factor, verdict(ratio <= factor)))
    for steps, limit in (("1 step", 8), ("2 steps", 16)):
        best = teacher_best(rows, limit)
        for key in ("cd", "ict", "ect"):
            r = fd(key, steps)
            if r and best is not None:
                out.append("- %s %s FD %.3f vs the teacher's best at <= %d NFE %.3f: %s" % (
                    key, steps, r["fd"], limit, best, verdict(r["fd"] < best)))
    for key in ("cd", "ict", "ect"):
        r = fd(key, "1 step")
        if r and r["class_accuracy"] >= 0:
            out.append("- %s 1-step class accuracy %.1f%% (target >= 85%%): %s" % (
                key, 100 * r["class_accuracy"], verdict(r["class_accuracy"] >= 0.85)))
    one, two, uncond = fd(DEFAULT_MODEL, "1 step"), fd(DEFAULT_MODEL, "2 steps"), fd(DEFAULT_MODEL, UNCONDITIONAL)
    if one:
        out.append("- default model (%s) 1-step FD %.3f (target <= 42): %s" % (DEFAULT_MODEL, one["fd"], verdict(one["fd"] <= 42)))
        out.append("- default model 1 step FD %.3f vs the earlier teacher's Heun-35 FD %.3f: %s" % (
            one["fd"], EARLIER_TEACHER_HEUN35_FD, verdict(one["fd"] < EARLIER_TEACHER_HEUN35_FD)))
    if two:
        out.append("- default model 2-step FD %.3f (target <= 30): %s" % (two["fd"], verdict(two["fd"] <= 30)))
    if one and uncond:
        ratio = uncond["fd"] / one["fd"]
        out.append("- default model unconditional 1-step FD %.3f = %.2fx the class-conditional one (target <= 1.5x): %s" % (
            uncond["fd"], ratio, verdict(ratio <= 1.5)))
    out.append("")
    return out


if __name__ == "__main__":
    main()
