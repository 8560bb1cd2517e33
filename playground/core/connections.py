"""Connections: where requests go. Built in: the local engine and NanoGPT; plus custom
OpenAI-compatible servers, saved in ``connections.json`` (never with a key)."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal, get_args

import httpx
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from playground.core import local_models
from playground.core.errors import InvalidParameter
from playground.core.paths import config_dir
from playground.core.storage import CorruptFile, atomic_write_json, load_json, set_aside

Kind = Literal["local", "nanogpt", "custom"]
#: Server flavours a connection can speak: which parameter names and values it understands.
Dialect = Literal["nanogpt", "openai", "llama.cpp", "llama-cpp-python", "vllm", "koboldcpp",
                  "text-generation-webui", "ollama"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)

#: The local engine's own dialect: the catalog's names, every field of the catalog.
LOCAL_ENGINE = "local engine"
#: A NanoGPT connection that also sends the catalog's fields NanoGPT does not document.
NANOGPT_UNDOCUMENTED = "nanogpt, undocumented fields too"
NANOGPT_BASE_URL = "https://nano-gpt.com/api/v1"
#: The newer spec's default model, used when none is chosen for NanoGPT.
NANOGPT_DEFAULT_MODEL = "minimax/minimax-m2.7"


def normalize_base_url(url: str) -> str:
    """Accept a base URL as people write it for OpenAI SDKs (``http://host:8080/v1``).

    A trailing slash or a pasted ``/completions`` endpoint is trimmed."""
    text = url.strip().rstrip("/")
    text = text.removesuffix("/completions").rstrip("/")
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise InvalidParameter("base_url", f"base_url: {url!r} is not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidParameter("base_url", f"base_url: {url!r} must start with http:// or "
                               "https:// and name a host, e.g. http://127.0.0.1:8080/v1")
    return text


def is_loopback(url: str) -> bool:
    """Whether `url` names this computer by a loopback address (127.0.0.0/8, ::1) or as
    ``localhost``. A DNS name that merely starts with "127." is not loopback."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def key_needs_confirmation(url: str | None) -> bool:
    """A key sent to `url` would cross the network unencrypted: plain http to a host that is
    not this computer. Sending one there needs the person's explicit confirmation."""
    if not url:
        return False
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        return True
    return scheme != "https" and not is_loopback(url)


def insecure_key_message(url: str) -> str:
    """Why a key is not sent to `url`, and how to allow it."""
    return (f"api_key: {url} is plain http and not this computer, so the key would cross the "
            "network unencrypted; use an https:// base URL, or confirm sending it "
            "(--allow-insecure-key on the command line; the window asks once per connection)")


def first_problem(exc: ValidationError) -> InvalidParameter:
    """A connection's first validation error, as the `InvalidParameter` naming its field."""
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, InvalidParameter):
        return cause
    field = ".".join(str(part) for part in error["loc"]) or "connection"
    return InvalidParameter(field, f"{field}: {error['msg']}")


class Connection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind = "custom"
    base_url: str | None = None  # None: the local engine, whose port is chosen at start
    dialect: Dialect = "nanogpt"
    default_model: str | None = None
    #: The person confirmed sending this connection's key over plain http to a host that is
    #: not loopback (see `key_needs_confirmation`). Saved only when true (see `to_json`).
    insecure_key_ok: StrictBool = Field(default=False, exclude=True)
    #: Also send the catalog's fields NanoGPT's API does not document (DRY, XTC, ...), for
    #: providers behind it that take them. Only for the nanogpt dialect; saved only when true.
    send_undocumented: StrictBool = Field(default=False, exclude=True)
    #: How many runs of a sweep go to this server at once (None: the sweep's default, 4).
    concurrency: int | None = Field(default=None, ge=1, le=256)

    @classmethod
    def checked(cls, **fields: Any) -> Connection:
        """Build one from user input; a refused field raises `InvalidParameter` naming it."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise first_problem(exc) from None

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "-_." for c in value):
            raise InvalidParameter("name", f"name: {value!r} is not allowed; use letters, "
                                   "digits, '-', '_' or '.'")
        return value

    @field_validator("base_url")
    @classmethod
    def _url_is_valid(cls, value: str | None) -> str | None:
        return None if value is None else normalize_base_url(value)

    @property
    def tokenizes(self) -> bool:
        """Whether its server answers llama.cpp's ``/tokenize`` with pieces (the local engine
        and llama.cpp do), so a text's tokens are known exactly."""
        return self.kind == "local" or self.dialect == "llama.cpp"

    @property
    def speaks(self) -> str:
        """The parameter dialect requests to it are written in: the local engine's own (every
        catalog field) for the local engine, else `dialect`."""
        if self.kind == "local":
            return LOCAL_ENGINE
        if self.dialect == "nanogpt" and self.send_undocumented:
            return NANOGPT_UNDOCUMENTED
        return self.dialect

    @property
    def needs_key(self) -> bool:
        return self.kind == "nanogpt"

    @property
    def key_needs_confirmation(self) -> bool:
        """Sending a key here needs a confirmation, and none was remembered."""
        return key_needs_confirmation(self.base_url) and not self.insecure_key_ok

    def to_json(self) -> dict[str, Any]:
        """How it is saved in ``connections.json``: unset fields and a false
        ``insecure_key_ok`` are left out."""
        data = self.model_dump(exclude_none=True)
        for flag in ("insecure_key_ok", "send_undocumented"):
            if getattr(self, flag):
                data[flag] = True
        return data

    @property
    def label(self) -> str:
        return {"local": "Local engine (offline)", "nanogpt": "NanoGPT"}.get(self.kind, self.name)

    @property
    def model(self) -> str:
        """The model to use when none was chosen."""
        if self.default_model:
            return self.default_model
        if self.kind == "local":
            return local_models.default_model()
        return NANOGPT_DEFAULT_MODEL if self.kind == "nanogpt" else ""


BUILTIN = (
    Connection(name="local", kind="local"),
    Connection(name="nanogpt", kind="nanogpt", base_url=NANOGPT_BASE_URL),
)


def adhoc(base_url: str, dialect: str = "nanogpt") -> Connection:
    """A connection for a ``--base-url`` given on the command line; it is not saved."""
    return Connection.checked(name="custom", kind="custom", base_url=base_url, dialect=dialect)


class ConnectionStore:
    """The built-in connections plus the user's own, kept in ``connections.json``."""

    def __init__(self) -> None:
        self.path = config_dir() / "connections.json"
        #: What reading the file found wrong (entries left out, a corrupt file set aside).
        self.problems: list[str] = []

    def custom(self) -> list[Connection]:
        return [entry for entry in self._entries()
                if isinstance(entry, Connection) and entry.kind == "custom"]

    def _entries(self) -> list[Connection | Any]:
        """The saved entries; one that no longer validates (edited by hand, or from a newer
        version) is kept as it is, so that saving another change does not lose it."""
        self.problems = []
        try:
            data = load_json(self.path)
        except CorruptFile as exc:
            self.problems.append(str(exc))
            return []
        if data is None:
            return []
        if not isinstance(data, list):
            moved = set_aside(self.path)
            self.problems.append(f"{self.path.name} is not a list of connections; it was "
                                 f"moved to {moved.name} and a fresh one will be used")
            return []
        entries: list[Connection | Any] = []
        for number, item in enumerate(data, 1):
            try:
                entries.append(Connection.model_validate(item))
            except ValidationError as exc:
                entries.append(item)
                name = item.get("name") if isinstance(item, dict) else None
                self.problems.append(f"{self.path.name}: entry {number} ({name or 'unnamed'}) "
                                     f"is left out: {first_problem(exc).message}")
        return entries

    def all(self) -> list[Connection]:
        """The built-in connections (with the one setting of theirs that is saved) and the
        user's own."""
        entries = self._entries()
        saved = {e.name: e for e in entries if isinstance(e, Connection)}
        builtin = [b.model_copy(update={"send_undocumented": saved[b.name].send_undocumented,
                                        "concurrency": saved[b.name].concurrency})
                   if b.name in saved and saved[b.name].kind == b.kind else b for b in BUILTIN]
        return [*builtin, *(e for e in entries
                            if isinstance(e, Connection) and e.kind == "custom")]

    def get(self, name: str) -> Connection:
        for connection in self.all():
            if connection.name == name:
                return connection
        known = ", ".join(c.name for c in self.all())
        raise InvalidParameter("connection", f"connection: no connection named {name!r} "
                               f"(known: {known})")

    def add(self, connection: Connection) -> None:
        self.check_addable(connection.name)
        self._save([*self._without(connection.name), connection])

    @staticmethod
    def check_addable(name: str) -> None:
        """A connection of this name may be saved: it is not a built-in one's."""
        if any(c.name == name for c in BUILTIN):
            raise InvalidParameter("connection", f"connection: {name!r} is built in")

    def remove(self, name: str) -> None:
        self._save(self._without(name))

    def _without(self, name: str) -> list[Connection | Any]:
        return [entry for entry in self._entries()
                if not (isinstance(entry, Connection) and entry.name == name)]

    def _save(self, entries: list[Connection | Any]) -> None:
        atomic_write_json(self.path, [entry.to_json() if isinstance(entry, Connection)
                                      else entry for entry in entries])

    def set_concurrency(self, name: str, concurrency: int | None) -> Connection:
        """How many sweep runs go to this connection's server at once (None: the default);
        the built-in connections keep it too."""
        connection = self.get(name)
        changed = Connection.checked(**{**connection.model_dump(), "concurrency": concurrency,
                                        "send_undocumented": connection.send_undocumented,
                                        "insecure_key_ok": connection.insecure_key_ok})
        self._save([*self._without(name), changed])
        return changed

    def send_undocumented(self, name: str, on: bool = True) -> Connection:
        """Have a NanoGPT connection (the built-in one too) also send, or stop sending, the
        catalog's fields NanoGPT does not document."""
        connection = self.get(name)
        if connection.kind == "local" or connection.dialect != "nanogpt":
            raise InvalidParameter("send_undocumented", f"send_undocumented: {name!r} does not "
                                   "speak NanoGPT's dialect; other servers get every field "
                                   "they take")
        changed = connection.model_copy(update={"send_undocumented": on})
        self._save([*self._without(name), changed])
        return changed

    def allow_insecure_key(self, name: str, allowed: bool = True) -> Connection:
        """Remember (or forget) the person's confirmation that this saved connection's key may
        go over plain http. Only a custom connection with such a base URL takes it."""
        connection = self.get(name)
        if connection.kind != "custom":
            raise InvalidParameter("insecure_key_ok", f"insecure_key_ok: {name!r} is built in; "
                                   "its key only goes where it is encrypted")
        if allowed and not key_needs_confirmation(connection.base_url):
            raise InvalidParameter("insecure_key_ok", f"insecure_key_ok: {connection.base_url} "
                                   "is https or this computer; no confirmation is needed")
        changed = connection.model_copy(update={"insecure_key_ok": allowed})
        self.add(changed)
        return changed
