"""NanoGPT Prompt Playground: a desktop prompt playground for text-completion models."""

__version__ = "0.1.0"
