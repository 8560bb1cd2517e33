"""The document store's figures, in a child process with its own PLAYGROUND_HOME; prints one
JSON object. ``documents_bench.py COUNT``.

- search: each keystroke of typing a word into File → Open…'s search box is one
  ``list(text, limit=200)`` over COUNT documents of ~2 KB each (the store's part of that figure;
  the window adds its list); the worst keystroke's median.
- save: one autosave of a document holding a ~50k-token (~200 KB) text after one character
  changed, the call the window makes on the thread you type on.
- open: opening the store of COUNT documents (its integrity check included).
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

KEYSTROKES = ("d", "dr", "dra", "drag", "drago", "dragon", "dragon c", "dragon ca",
              "dragon cas")


def main(count: int) -> None:
    from playground.core.documents import DocumentStore

    home = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    path = home / "documents.sqlite3"
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randrange(3, 10)))
             for _ in range(5000)] + ["dragon", "castle", "dragonfly", "cast"]
    documents = [{"name": f"{rng.choice(vocab)} {n}",
                  "prompt": " ".join(rng.choices(vocab, k=300))} for n in range(count)]
    with DocumentStore(path, draft_path=home / "none.json") as store:
        store.import_json(json.dumps({"version": 1, "documents": documents}))
        big = store.create("big", prompt="word " * 50_000)
        saves = []
        for n in range(21):
            big = replace(big, prompt=big.prompt + letters[n % 26])
            started = time.perf_counter()
            big = store.save(big)
            saves.append((time.perf_counter() - started) * 1000)
    opens = []
    for _ in range(3):
        started = time.perf_counter()
        store = DocumentStore(path, draft_path=home / "none.json")
        opens.append((time.perf_counter() - started) * 1000)
        store.close()
    with DocumentStore(path, draft_path=home / "none.json") as store:
        searches = {}
        for text in KEYSTROKES:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                store.list(text, limit=200)
                times.append((time.perf_counter() - started) * 1000)
            searches[text] = statistics.median(times)
    shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({"search_ms": searches, "save_ms": saves, "open_ms": opens}), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
