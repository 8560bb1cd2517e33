"""Packaging: the desktop entry and AppStream metadata validate and agree with the project, the
icon PNGs are current renders of the SVG, the engine child starts the same way frozen or not,
and a wheel carries the built-in presets and icons.

The validators come from Debian's desktop-file-utils and appstream packages; without them these
tests fail (they are part of the definition of done, so they never skip).
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from playground import __version__
from playground.cli.main import build_parser
from playground.core.engine_process import engine_command
from playground.core.presets import PresetStore
from playground.engine import corpus
from playground.engine.cli import run_serve
from playground.engine.store import builtin_path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
[DESKTOP] = PACKAGING.glob("*.desktop")
APP_ID = DESKTOP.stem
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; install the Debian package {package} "
                    f"(apt-get install {package})")
    return path


def desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # case-sensitive keys
    parser.read(DESKTOP, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- desktop entry and AppStream metadata ------------------------------------------------

def test_the_desktop_entry_validates() -> None:
    result = subprocess.run([tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_the_metainfo_validates() -> None:
    result = subprocess.run([tool("appstreamcli", "appstream"), "validate", "--no-net",
                             "--explain", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_desktop_entry_runs_the_projects_command_with_the_apps_icon() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    entry = desktop_entry()
    assert re.fullmatch(r"[a-z]+(\.[A-Za-z_][A-Za-z0-9_]*){2,}", APP_ID)
    assert scripts[entry["Exec"]] == "playground.cli.main:main"
    assert entry["Icon"] == APP_ID
    assert "Development" in entry["Categories"].split(";")


def test_the_metainfo_agrees_with_the_desktop_entry_and_the_project() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("provides/binary") == desktop_entry()["Exec"]
    assert component.findtext("name") == desktop_entry()["Name"]
    releases = component.findall("releases/release")
    assert releases and releases[0].get("version") == __version__
    assert component.find("content_rating") is not None


def test_the_metainfo_screenshot_is_the_readmes() -> None:
    from PySide6.QtGui import QImage

    image = ET.parse(METAINFO).getroot().find("screenshots/screenshot/image")
    assert image is not None and image.text is not None
    # AppStream wants a web URL; it names the file in this repository.
    relative = "resources/screenshots/window.png"
    assert image.text.startswith("https://") and image.text.endswith("/" + relative)
    assert relative in (ROOT / "README.md").read_text("utf-8")
    shot = QImage(str(ROOT / relative))
    assert (shot.width(), shot.height()) == (int(image.get("width", 0)),
                                             int(image.get("height", 0)))


def test_the_install_script_and_the_bundle_recipe_use_the_same_names() -> None:
    install = (PACKAGING / "install-desktop-entry.sh").read_text("utf-8")
    assert f"\nAPP_ID={APP_ID}\n" in install
    name = re.search(r'^NAME = "(.+)"$', (PACKAGING / "playground.spec").read_text("utf-8"),
                     re.MULTILINE)
    assert name is not None
    assert f"\nNAME={name.group(1)}\n" in (PACKAGING / "build-bundle.sh").read_text("utf-8")


# --- the icon ---------------------------------------------------------------------------

def test_every_icon_size_is_a_current_render_of_the_svg(qapp: object) -> None:
    from PySide6.QtGui import QImage

    icons = load_script("render_icons")
    assert icons.SIZES == (16, 24, 32, 48, 64, 128, 256, 512)
    for size in icons.SIZES:
        committed = QImage(str(icons.png_path(size)))
        assert (committed.width(), committed.height()) == (size, size), size
        assert committed.hasAlphaChannel(), size
        corner, centre = committed.pixelColor(0, 0), committed.pixelColor(size // 2, size // 2)
        assert corner.alpha() == 0 and centre.alpha() == 255, size
        assert icons.max_difference(committed, icons.render(size)) <= 2, (
            f"playground-{size}.png is out of date: run packaging/render_icons.py")


def test_a_changed_icon_is_noticed(qapp: object) -> None:
    icons = load_script("render_icons")
    assert icons.max_difference(icons.render(32), icons.render(48)) == 255
    plain = icons.render(32)
    plain.fill(0)
    assert icons.max_difference(icons.render(32), plain) > 200


# --- frozen-bundle support ------------------------------------------------------------------

def test_the_engine_command_in_python_and_in_a_frozen_bundle() -> None:
    python = engine_command("/usr/bin/python3", False, "127.0.0.1", 0)
    frozen = engine_command("/opt/app/nanogpt-playground", True, "127.0.0.1", 0)
    assert python[:3] == ["/usr/bin/python3", "-m", "playground.engine"]
    assert frozen[0] == "/opt/app/nanogpt-playground"
    assert python[3:] == frozen[1:]
    # The frozen executable is the `playground` command: its parser must take the arguments.
    args = build_parser().parse_args(frozen[1:])
    assert args.func is run_serve
    assert (args.host, args.port, args.exit_on_stdin_eof) == ("127.0.0.1", 0, True)


def test_a_frozen_bundle_finds_the_same_corpus_inside_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, expected = corpus.stdlib_sources(), builtin_path().name
    for source, folder in corpus.bundled_files():  # what packaging/playground.spec ships
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp_path / folder)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    bundled = corpus.stdlib_sources()
    assert all(path.is_relative_to(tmp_path) for path in bundled)
    assert [path.name for path in bundled] == [path.name for path in sources]
    assert builtin_path().name == expected  # the same text, so the same cached model


# --- the wheel -------------------------------------------------------------------------------

def test_an_installed_wheel_carries_its_presets_and_icons(tmp_path: Path) -> None:
    """`pip install .` (not editable) must give the same built-in presets and icon as a clone:
    setup.py copies resources/ into the wheel, and the installed package finds its copy."""
    source = tmp_path / "source"  # setuptools builds in the tree; keep the checkout clean
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:  # what pip does with a pure-Python wheel
        archive.extractall(site)
    # The MIT licence asks that its text travel with every copy.
    [dist_info] = site.glob("*.dist-info")
    assert (dist_info / "licenses" / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    metadata = (dist_info / "METADATA").read_text("utf-8").splitlines()
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata

    def files(root: Path) -> set[str]:
        return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}

    shipped = site / "playground" / "resources"
    assert files(shipped) == {name for name in files(ROOT / "resources")
                              if not name.startswith("screenshots/")}  # the README's only
    listed = subprocess.run(
        [sys.executable, "-c", "from playground.core.paths import resource_dir\n"
         "from playground.core.presets import PresetStore\n"
         "print(resource_dir())\n"
         "print(*(p.name for p in PresetStore().list().items), sep='|')"],
        env={**os.environ, "PYTHONPATH": str(site), "PLAYGROUND_HOME": str(tmp_path / "home")},
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
    assert listed[0] == str(shipped)
    assert listed[1].split("|") == [p.name for p in PresetStore(tmp_path / "mine").list().items]
    assert len(listed[1].split("|")) >= 7


# --- the project's files: licence, changelog, contributing guide, hooks and CI ----------------

def test_the_license_is_the_mit_text_the_project_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the NanoGPT Prompt Playground "
                           "authors\n")
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text


def test_the_changelog_has_this_version_as_the_metainfo_dates_it() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert "keepachangelog.com" in changelog and "\n## [Unreleased]\n" in changelog
    release = ET.parse(METAINFO).getroot().find("releases/release")
    assert release is not None and release.get("version") == __version__
    assert f"\n## [{__version__}] - {release.get('date')}\n" in changelog


def _bootstrap_test_commands() -> list[str]:
    """The lint and type-check lines of `bootstrap.sh test`, with the venv spelled out."""
    script = (PACKAGING / "bootstrap.sh").read_text("utf-8")
    test_mode = script.split("\n    test)\n", 1)[1].split(";;", 1)[0]
    lines = [line.strip().replace('"$VENV/bin/', ".venv/bin/").replace('"', "")
             for line in test_mode.splitlines()]
    return [line for line in lines if line.startswith((".venv/bin/ruff", ".venv/bin/mypy"))]


def test_the_pre_commit_hooks_run_what_the_test_command_runs() -> None:
    commands = _bootstrap_test_commands()
    assert [c.split()[0] for c in commands] == [".venv/bin/ruff", ".venv/bin/mypy"]
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [hook["entry"] for hook in hooks] == commands
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False
               for hook in hooks)  # the whole tree, as the test command checks it


def test_the_github_workflow_runs_the_ci_script_on_push_and_pull_request() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    [job] = workflow["jobs"].values()
    assert job["runs-on"].startswith("ubuntu")
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs and all(run.endswith("bash .ci/run") for run in runs)
    assert (ROOT / ".ci" / "run").is_file()


def test_the_contributing_guide_names_every_test_tier() -> None:
    guide = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    markers = {line.split(":")[0] for line in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert {"fuzz", "thirdparty"} <= markers
    for command in ("sh packaging/bootstrap.sh test", "pytest -m fuzz",
                    "sh packaging/bootstrap.sh thirdparty", "tests/bench/run.py",
                    *_bootstrap_test_commands()[0].split(maxsplit=1)[1:]):
        assert command in guide, command
    for folder in ("ui/", "core/", "engine/", "resources/", "packaging/", "tests/"):
        assert folder in guide
