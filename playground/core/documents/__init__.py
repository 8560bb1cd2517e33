"""Documents: what a tab shows (a prompt and its settings), kept in SQLite.

`DocumentStore` keeps them; `Document` is one (a notebook's `Completion`s with it),
`DocumentSummary` one in a list;
`document_request_inputs` turns one into what `build_request` takes.
"""

from playground.core.documents.document import (
    MODES,
    Completion,
    Document,
    DocumentSummary,
    Mode,
    RequestInputs,
    document_request_inputs,
)
from playground.core.documents.store import DocumentStore
from playground.core.documents.transfer import ImportReport

__all__ = ["MODES", "Completion", "Document", "DocumentStore", "DocumentSummary",
           "ImportReport", "Mode", "RequestInputs", "document_request_inputs"]
