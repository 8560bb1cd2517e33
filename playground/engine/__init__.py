"""The built-in local engine: NanoGPT's completions endpoint, offline, with no key.

Its models are small statistical ones (a byte-level BPE tokenizer and an interpolated
Kneser-Ney n-gram model, built locally from Python's own documentation or from the user's
files): good for seeing exactly what each sampler does, not an LLM. Every sampler field of the
API is implemented for real (`chain`), behind the same wire format (`wire`, `server`).

Importing this package is cheap; the GUI starts the engine through `process.EngineProcess`.
"""
