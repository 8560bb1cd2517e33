"""Ships the top-level ``resources/`` (built-in presets, icons) in the wheel as
``playground/resources``: package data has to live inside the package, and the repository keeps
those files at the top level, where the bundle recipe and the desktop-entry script read them.
Everything else about the build is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: Left out of the package, as the bundle recipe (packaging/playground.spec) leaves them out.
NOT_SHIPPED = shutil.ignore_patterns("screenshots")  # the README's pictures


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's resources/
            return
        shutil.copytree(Path(__file__).resolve().parent / "resources",
                        Path(self.build_lib) / "playground" / "resources",
                        ignore=NOT_SHIPPED, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithResources})
