"""The app's speed, measured against the bare stack it is built on. Prints numbers, asserts
nothing (a missed target is printed as such; the exit status is 0 either way).

    .venv/bin/python tests/bench/run.py            # full sizes, a few minutes
    .venv/bin/python tests/bench/run.py --quick    # every figure at a small size, < ~30 s
    .venv/bin/python tests/bench/run.py --json     # one JSON object: the same keys, plus
                                                   # "targets" and the raw "samples"

Every figure is a median of repeated runs (the machine may be busy with other work). Each
measurement runs in its own child process (ui_bench.py, startup_child.py) against a loopback
server in another process (sse_server.py) that writes a pre-rendered event stream as fast as the
socket takes it, so the client side is what is measured:

- stream_ratio_vs_httpx: tokens/s of a 50k-token stream through CompletionClient, RunWorker and
  a visible StreamView (offscreen, on a qasync loop), over tokens/s of a bare httpx consumer
  (plain asyncio, ``aiter_lines`` + ``json.loads`` of every frame) reading the same stream;
- stream_max_stall_ms: the largest gap of a 5 ms precise QTimer on the same loop during the
  stream, for multi-line text (the 50k stream) and a single 100k-token paragraph; the figure is
  the larger of the two;
- stream_flatness: tokens/s at 100k tokens over tokens/s at 1k, full path; the smaller of the
  multi-line and the paragraph figure;
- compare8_max_stall_ms: the heartbeat's largest gap while 8 columns of CompareView stream;
- startup_ratio_vs_bare_qt: process start to the first painted main window (see
  startup_child.py for exactly what is timed), the app over an empty QMainWindow; the starts
  of each kind take turns, and each start-up ratio is the median of the ratios within a turn;
- startup_floor_ratio_vs_bare_qt (no target): the same for a window of the same kinds of widgets
  as the app's first frame built with no app code, over the empty one: what the toolkit itself
  charges for those widgets, the floor under the app's figure;
- startup_ratio_vs_floor: the app over that floor (issue 18's form of the start-up target);
- engine_tokens_per_s, engine_ttft_ms: the local engine with every sampler stage
  (engine_bench.py's functions);
- engine_tokens_per_s_with_newer: the same with the newer samplers too (DRY over a 4,096-token
  prompt, top-n-sigma, XTC, smoothing, dynamic temperature, and banned phrases it meets about
  once in ten tokens, each sending generation back), and engine_newer_ratio (no target) over
  the same prompt without them;
- rss_mb_after_100k: the real MainWindow's process RSS after a 100k-token run;
- gc_full_pause_ms (no target): in that process, how long a full garbage collection takes, the
  pause Python may impose at any moment (the streaming figures start each run collected);
- documents_search_ms: the document store's part of File → Open…'s search over 10,000
  documents, the slowest keystroke of typing a word (documents_bench.py);
- documents_save_ms: one autosave of a document holding ~50k tokens of text;
- documents_open_ms (no target): opening that store of 10,000 documents;
- open_keystroke_ms: File → Open… over 10,000 documents in the real window, a keystroke in its
  search box to the painted list, the slowest keystroke of a typed word (tabs_bench.py);
- tabs4_max_stall_ms: the heartbeat's largest gap while four tabs of the real window stream;
- tab_switch_ms, tabs_rss_mb: with 20 tabs each holding a 50k-token output, bringing the next
  tab forward to the end of the next painted frame (worst one beside it), and the process's RSS.
- sweep_grid_ratio_vs_bare: an 84-run grid (64 tokens each) on the local engine at concurrency
  4 through the sweep's own path (history and measures kept as each run ends), over the same
  requests from a bare httpx script at that concurrency, taking turns (sweep_bench.py);
- sweep_1000_rss_mb: ``playground sweep`` of 1,000 runs against the loopback server, its peak
  RSS (and sweep_1000_s, no target, its wall time);
- sweep_max_stall_ms: the heartbeat's largest gap while Run → Sweep… runs that grid on the
  local engine and plots it as it goes (ui_bench.py), the median over repeated sweeps;
- real_*: the local engine on SmolLM2 against llama.cpp's own sampling of it, same process,
  same run (real_model_bench.py): tokens/s of our whole chain over llama.cpp's, time to the
  first token of a 500-token prompt over llama.cpp's, a second request on that prompt over the
  first, and the engine's RSS with the model loaded. Left out, with a note, when the model is
  not installed (sh packaging/bootstrap.sh model).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable


@dataclass(frozen=True)
class Target:
    key: str
    limit: float
    higher_is_better: bool
    unit: str = ""

    def met(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit

    def text(self) -> str:
        return f"{'>=' if self.higher_is_better else '<='} {self.limit:g}{self.unit}"


TARGETS = [
    Target("stream_ratio_vs_httpx", 0.8, True),
    Target("stream_max_stall_ms", 20, False, " ms"),
    Target("stream_max_stall_ms_multiline", 20, False, " ms"),
    Target("stream_max_stall_ms_paragraph", 20, False, " ms"),
    Target("stream_flatness", 0.9, True),
    Target("stream_flatness_multiline", 0.9, True),
    Target("stream_flatness_paragraph", 0.9, True),
    Target("compare8_max_stall_ms", 33, False, " ms"),
    Target("startup_ratio_vs_bare_qt", 1.3, False),
    Target("startup_ratio_vs_floor", 1.3, False),
    Target("engine_tokens_per_s", 2000, True),
    Target("engine_tokens_per_s_with_newer", 2000, True),
    Target("engine_ttft_ms", 30, False, " ms"),
    Target("rss_mb_after_100k", 250, False, " MB"),
    Target("documents_search_ms", 50, False, " ms"),
    Target("documents_save_ms", 16, False, " ms"),
    Target("open_keystroke_ms", 50, False, " ms"),
    Target("tabs4_max_stall_ms", 20, False, " ms"),
    Target("tab_switch_ms", 16, False, " ms"),
    Target("tabs_rss_mb", 400, False, " MB"),
    Target("sweep_grid_ratio_vs_bare", 1.2, False),
    Target("sweep_1000_rss_mb", 300, False, " MB"),
    Target("sweep_max_stall_ms", 33, False, " ms"),
    Target("real_tokens_per_s_ratio_vs_llama", 0.8, True),
    Target("real_ttft_ratio_vs_llama", 1.5, False),
    Target("real_shared_prompt_ttft_ratio", 0.3, False),
    Target("real_engine_rss_mb", 400, False, " MB"),
]


@dataclass(frozen=True)
class Sizes:
    stream: int  # the ratio's stream (multi-line)
    rounds: int  # bare/full child pairs, alternated
    repeat: int  # runs per child
    long: int  # the paragraph stall and the flatness's long stream
    short: int  # the flatness's short stream
    short_repeat: int
    column: int  # tokens per compare column
    starts: int  # start-ups of each kind
    engine_tokens: int
    ttft_runs: int
    rss: int
    documents: int = 10_000  # stored documents searched
    tabs: int = 20  # tabs open at once, each with an output of
    tab_tokens: int = 50_000
    real_tokens: int = 200  # tokens per real-model rate measurement
    real_rounds: int = 3
    sweep_cells: int = 84  # runs of the grid figure (64 tokens each)
    sweep_rounds: int = 3


FULL = Sizes(stream=50_000, rounds=2, repeat=3, long=100_000, short=1000, short_repeat=9,
             column=10_000, starts=15, engine_tokens=2000, ttft_runs=30, rss=100_000)
QUICK = Sizes(stream=20_000, rounds=1, repeat=3, long=10_000, short=1000, short_repeat=3,
              column=1000, starts=2, engine_tokens=1000, ttft_runs=5, rss=10_000,
              documents=1000, tabs=4, tab_tokens=2000, real_tokens=48, real_rounds=1,
              sweep_cells=24, sweep_rounds=1)


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
    return env


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a helper and return the JSON it prints last."""
    done = subprocess.run([PYTHON, *args], capture_output=True, text=True, timeout=900,
                          env=env or child_env(), cwd=ROOT, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return dict(json.loads(lines[-1]))


class Server:
    """sse_server.py in its own process; it exits when we close its stdin."""

    def __init__(self, bodies: list[str]) -> None:
        self.process = subprocess.Popen([PYTHON, str(HERE / "sse_server.py"), *bodies],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=child_env(), text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start: {line!r}")
        self.port = int(line.split()[1])

    def url(self, mode: str, tokens: int) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/{tokens}/v1"

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ui(mode: str, url: str, repeat: int = 1) -> dict[str, Any]:
    return run_child([str(HERE / "ui_bench.py"), mode, url, str(repeat)])


def measure_streams(server: Server, sizes: Sizes, samples: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    bare: list[float] = []
    full: list[float] = []
    stalls: list[float] = []
    url = server.url("multiline", sizes.stream)
    for _ in range(sizes.rounds):  # alternate, so a busy spell hits both sides
        bare += ui("bare", url, sizes.repeat)["tokens_per_s"]
        run = ui("stream", url, sizes.repeat)
        full += run["tokens_per_s"]
        stalls += run["max_stall_ms"]
    samples["bare_tokens_per_s"] = bare
    samples["stream_tokens_per_s"] = full
    samples["stream_max_stall_ms_multiline"] = stalls
    out["bare_httpx_tokens_per_s"] = statistics.median(bare)
    out["stream_tokens_per_s"] = statistics.median(full)
    out["stream_ratio_vs_httpx"] = out["stream_tokens_per_s"] / out["bare_httpx_tokens_per_s"]
    out["stream_max_stall_ms_multiline"] = statistics.median(stalls)

    for mode in ("multiline", "paragraph"):
        short = ui("stream", server.url(mode, sizes.short), sizes.short_repeat)
        long = ui("stream", server.url(mode, sizes.long), sizes.repeat)
        samples[f"{mode}_{sizes.short}_tokens_per_s"] = short["tokens_per_s"]
        samples[f"{mode}_{sizes.long}_tokens_per_s"] = long["tokens_per_s"]
        samples[f"{mode}_{sizes.long}_max_stall_ms"] = long["max_stall_ms"]
        out[f"stream_flatness_{mode}"] = (statistics.median(long["tokens_per_s"])
                                          / statistics.median(short["tokens_per_s"]))
        if mode == "paragraph":
            out["stream_max_stall_ms_paragraph"] = statistics.median(long["max_stall_ms"])
    out["stream_max_stall_ms"] = max(out["stream_max_stall_ms_multiline"],
                                     out["stream_max_stall_ms_paragraph"])
    out["stream_flatness"] = min(out["stream_flatness_multiline"],
                                 out["stream_flatness_paragraph"])
    return out


def measure_compare(server: Server, sizes: Sizes, samples: dict[str, Any]) -> dict[str, float]:
    run = ui("compare", server.url("multiline", sizes.column), sizes.repeat)
    samples["compare8_max_stall_ms"] = run["max_stall_ms"]
    samples["compare8_tokens_per_s"] = run["tokens_per_s"]
    return {"compare8_max_stall_ms": statistics.median(run["max_stall_ms"]),
            "compare8_tokens_per_s": statistics.median(run["tokens_per_s"])}


#: The loopback server's stream for the 1,000-run sweep: short, so the app is what is measured.
SWEEP_BODY = ("multiline", 32)


def measure_sweep(server: Server, sizes: Sizes, cache: Path,
                  samples: dict[str, Any]) -> dict[str, float]:
    grid = run_child([str(HERE / "sweep_bench.py"), "grid", str(sizes.sweep_cells), "64",
                      str(sizes.sweep_rounds)], child_env(PLAYGROUND_CACHE=str(cache)))
    thousand = run_child([str(HERE / "sweep_bench.py"), "thousand", server.url(*SWEEP_BODY)])
    window = run_child([str(HERE / "ui_bench.py"), "sweep", str(sizes.sweep_cells),
                        str(sizes.sweep_rounds + 2)], child_env(PLAYGROUND_CACHE=str(cache)))
    samples["sweep_max_stall_ms"] = window["max_stall_ms"]
    samples["sweep_grid_s"] = grid["sweep_s"]
    samples["sweep_grid_bare_s"] = grid["bare_s"]
    sweep_s, bare_s = statistics.median(grid["sweep_s"]), statistics.median(grid["bare_s"])
    return {"sweep_grid_s": sweep_s, "sweep_grid_bare_s": bare_s,
            "sweep_grid_ratio_vs_bare": sweep_s / bare_s,
            "sweep_1000_rss_mb": thousand["rss_mb"], "sweep_1000_s": thousand["seconds"],
            "sweep_max_stall_ms": statistics.median(window["max_stall_ms"])}


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    """Wait for a process we caused to start (the app's engine child) to exit."""
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text(errors="replace")
        if "State:\tZ" in status:
            return
        time.sleep(0.05)


def one_start(kind: str, env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run([PYTHON, str(HERE / "startup_child.py"), kind], capture_output=True,
                          text=True, timeout=120, env=env, cwd=ROOT, check=False)
    words = done.stdout.split()
    if "PAINTED" not in words:
        raise RuntimeError(f"start-up child {kind} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    painted = float(words[words.index("PAINTED") + 1])
    engine = words[words.index("ENGINE") + 1]
    if engine.isdigit():
        _wait_gone(int(engine))
    return (painted - started) * 1000


def measure_startup(sizes: Sizes, cache: Path, samples: dict[str, Any]) -> dict[str, float]:
    # As installed: pip compiles a package's bytecode at install time, while a clean clone
    # (with PYTHONDONTWRITEBYTECODE set, as here) would compile every module at every start.
    compileall.compile_dir(ROOT / "playground", quiet=1)
    home = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = child_env(PLAYGROUND_HOME=str(home), PLAYGROUND_CACHE=str(cache))
    times: dict[str, list[float]] = {"app": [], "bare": [], "frame": []}
    for kind in times:
        one_start(kind, env)  # warm up: disk cache, first-run files
    for _ in range(sizes.starts):
        for kind, found in times.items():
            found.append(one_start(kind, env))
    for kind, found in times.items():
        samples[f"startup_{kind}_ms"] = found
    app, bare, frame = (statistics.median(times[kind]) for kind in ("app", "bare", "frame"))

    def paired(top: str, under: str) -> float:
        """The median over rounds of one round's ratio: the starts of a round follow each
        other within a second, so a slow spell of the machine slows both sides of a ratio."""
        return statistics.median(a / b for a, b in zip(times[top], times[under], strict=True))

    return {"startup_app_ms": app, "startup_bare_qt_ms": bare, "startup_frame_qt_ms": frame,
            "startup_ratio_vs_bare_qt": paired("app", "bare"),
            "startup_ratio_vs_floor": paired("app", "frame"),
            "startup_floor_ratio_vs_bare_qt": paired("frame", "bare")}


def measure_engine(sizes: Sizes, cache: Path, samples: dict[str, Any]) -> dict[str, float]:
    out = run_child([str(Path(__file__).resolve()), "--engine-child",
                     str(sizes.engine_tokens), str(sizes.ttft_runs)],
                    child_env(PLAYGROUND_CACHE=str(cache)))
    samples["engine_tokens_per_s"] = out["rates"]
    samples["engine_ttft_ms"] = out["ttft"]
    samples["engine_tokens_per_s_with_newer"] = out["newer"]
    newer = statistics.median(out["newer"])
    return {"engine_tokens_per_s": statistics.median(out["rates"]),
            "engine_ttft_ms": statistics.median(out["ttft"]),
            "engine_tokens_per_s_with_newer": newer,
            "engine_newer_ratio": newer / statistics.median(out["without"])}


def engine_child(tokens: int, ttft_runs: int) -> None:
    """In a child: engine_bench's own functions (it makes a temporary PLAYGROUND_HOME)."""
    sys.path.insert(0, str(HERE))
    import engine_bench

    from playground.core.engine_process import EngineProcess
    from playground.engine.store import BUILTIN_ID, ModelStore

    model = ModelStore().get(BUILTIN_ID)
    engine_bench.tokens_per_second(model, engine_bench.EVERY_STAGE, 200)  # warm up
    rates = [engine_bench.tokens_per_second(model, engine_bench.EVERY_STAGE, tokens)
             for _ in range(5)]
    prompt = engine_bench.long_prompt(model)
    newer, without = [], []
    for _ in range(3):
        newer.append(engine_bench.tokens_per_second(model, engine_bench.WITH_NEWER, tokens,
                                                    prompt))
        without.append(engine_bench.tokens_per_second(model, engine_bench.EVERY_STAGE, tokens,
                                                      prompt))
    with EngineProcess() as engine:
        engine_bench.ttft_ms(engine.base_url, 3)  # warm up (the model may still be loading)
        ttft = engine_bench.ttft_ms(engine.base_url, ttft_runs)
    print(json.dumps({"rates": rates, "ttft": ttft, "newer": newer, "without": without}),
          flush=True)


def measure_real_model(sizes: Sizes, samples: dict[str, Any]) -> dict[str, float]:
    out = run_child([str(HERE / "real_model_bench.py"), str(sizes.real_tokens),
                     str(sizes.real_rounds)])
    if not out["installed"]:
        print("(real model not installed: no real_* figures; sh packaging/bootstrap.sh model)")
        return {}
    samples["real_model"] = out["samples"]
    return {"real_tokens_per_s_ratio_vs_llama": out["tokens_per_s_ratio"],
            "real_ttft_ratio_vs_llama": out["ttft_ratio"],
            "real_shared_prompt_ttft_ratio": out["shared_prompt_ratio"],
            "real_engine_rss_mb": out["engine_rss_mb"]}


def measure_rss(server: Server, sizes: Sizes, cache: Path,
                samples: dict[str, Any]) -> dict[str, float]:
    home = tempfile.mkdtemp(prefix="bench-rss-")
    out = run_child([str(HERE / "ui_bench.py"), "rss", server.url("multiline", sizes.rss)],
                    child_env(PLAYGROUND_HOME=home, PLAYGROUND_CACHE=str(cache)))
    samples["rss"] = out
    return {"rss_mb_after_100k": out["rss_mb_after"], "rss_mb_before_run": out["rss_mb_before"],
            "rss_mb_peak": out["peak_mb"], "gc_full_pause_ms": out["gc_full_pause_ms"]}


def measure_tabs(server: Server, sizes: Sizes, cache: Path,
                 samples: dict[str, Any]) -> dict[str, float]:
    out = run_child([str(HERE / "tabs_bench.py"), "tabs",
                     server.url("multiline", sizes.tab_tokens), str(sizes.tabs)],
                    child_env(PLAYGROUND_HOME=tempfile.mkdtemp(prefix="bench-tabs-"),
                              PLAYGROUND_CACHE=str(cache)))
    samples["tabs"] = out
    return {"tabs4_max_stall_ms": statistics.median(out["stall_ms"]),
            "tab_switch_ms": statistics.median(out["switch_ms"]),
            "tab_switch_worst_ms": max(out["switch_ms"]),
            "tabs_rss_mb": out["rss_mb_after"]}


def measure_open(sizes: Sizes, samples: dict[str, Any]) -> dict[str, float]:
    out = run_child([str(HERE / "tabs_bench.py"), "open", str(sizes.documents)],
                    child_env(PLAYGROUND_HOME=tempfile.mkdtemp(prefix="bench-open-")))
    samples["open"] = out
    return {"open_keystroke_ms": out["worst_keystroke_median_ms"]}


def measure_documents(sizes: Sizes, samples: dict[str, Any]) -> dict[str, float]:
    out = run_child([str(HERE / "documents_bench.py"), str(sizes.documents)], child_env())
    samples["documents"] = out
    return {"documents_search_ms": max(out["search_ms"].values()),
            "documents_save_ms": statistics.median(out["save_ms"]),
            "documents_open_ms": statistics.median(out["open_ms"])}


def prepare_cache() -> Path:
    """A model cache shared by every run of this script, so the engine builds its model once
    (the first build takes a few seconds and is engine_bench's own figure, not ours)."""
    cache = Path(tempfile.gettempdir()) / "playground-bench-cache"
    run_child(["-c", "import json; from playground.engine.store import BUILTIN_ID, ModelStore;"
               " ModelStore().get(BUILTIN_ID); print(json.dumps({}))"],
              child_env(PLAYGROUND_CACHE=str(cache)))
    return cache


def show(results: dict[str, float], sizes: Sizes) -> None:
    targets = {t.key: t for t in TARGETS}
    print(f"{'figure':34} {'value':>12}  target")
    for key, value in results.items():
        target = targets.get(key)
        mark = "" if target is None else ("  ok" if target.met(value) else "  MISSED")
        shown = (f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}" if abs(value) < 1000
                 else f"{value:,.0f}")
        print(f"{key:34} {shown:>12}  {target.text() if target else '':10}{mark}")
    print(f"(sizes: stream {sizes.stream:,}, long {sizes.long:,}, short {sizes.short:,}, "
          f"compare {sizes.column:,} x 8, rss run {sizes.rss:,} tokens, "
          f"{sizes.documents:,} documents, {sizes.tabs} tabs x {sizes.tab_tokens:,} tokens; "
          "medians)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true",
                        help="every measurement at a small size (for CI), under ~30 s")
    parser.add_argument("--engine-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        engine_child(*args.engine_child)
        return
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    cache = prepare_cache()
    samples: dict[str, Any] = {}
    results: dict[str, float] = {}
    bodies = [f"multiline:{n}" for n in {sizes.stream, sizes.long, sizes.short, sizes.column,
                                         sizes.rss, sizes.tab_tokens}] + [
                                             f"paragraph:{sizes.long}",
                                                        f"paragraph:{sizes.short}",
                                                        "{}:{}".format(*SWEEP_BODY)]
    server = Server(bodies)
    try:
        results.update(measure_streams(server, sizes, samples))
        results.update(measure_compare(server, sizes, samples))
        results.update(measure_rss(server, sizes, cache, samples))
        results.update(measure_tabs(server, sizes, cache, samples))
        results.update(measure_sweep(server, sizes, cache, samples))
    finally:
        server.close()
    results.update(measure_startup(sizes, cache, samples))
    results.update(measure_engine(sizes, cache, samples))
    results.update(measure_documents(sizes, samples))
    results.update(measure_open(sizes, samples))
    results.update(measure_real_model(sizes, samples))
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({**results, "quick": args.quick, "seconds": round(elapsed, 1),
                          "targets": {t.key: t.text() for t in TARGETS},
                          "samples": samples}, indent=2))
    else:
        show(results, sizes)
        print(f"({elapsed:.0f} s{', quick sizes' if args.quick else ''})")


if __name__ == "__main__":
    main()
