"""Builds the modeplatform-client package (its metadata is in pyproject.toml).

The generated code is not kept twice in the repository: when the package is built from the
repository, the modules of ../../gen/python (whatever the contract generates now: modeplatform.v1,
and the google.api and buf.validate modules it imports) are copied into _gen/ and packaged from
there, and the version is read from ../VERSION. An sdist carries _gen/ and VERSION, so it builds on
its own.
"""

import os
import shutil

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_GEN = os.path.join(HERE, "..", "..", "gen", "python")
REPO_VERSION = os.path.join(HERE, "..", "VERSION")
GEN = os.path.join(HERE, "_gen")
VERSION_FILE = os.path.join(HERE, "VERSION")


def stage():
    """Copies the repository's gen/python and clients/VERSION next to this file, when present."""
    if os.path.isdir(REPO_GEN):
        shutil.rmtree(GEN, ignore_errors=True)
        shutil.copytree(REPO_GEN, GEN, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # PEP 561: the generated .pyi stubs are the package's types.
        for pkg in ("modeplatform/v1",):
            open(os.path.join(GEN, pkg, "py.typed"), "w").close()
    if os.path.isfile(REPO_VERSION):
        shutil.copyfile(REPO_VERSION, VERSION_FILE)
    if not os.path.isdir(os.path.join(GEN, "modeplatform")) or not os.path.isfile(VERSION_FILE):
        raise SystemExit("modeplatform-client: build it from the repository (clients/python) or from its sdist: "
                         "no gen/python or clients/VERSION found")


stage()
with open(VERSION_FILE, encoding="utf-8") as f:
    VERSION = f.read().strip()

gen_packages = find_namespace_packages(where=GEN, include=["modeplatform*", "google*", "buf*"])


class BuildPy(build_py):
    """Also writes modeplatform_client/_version.py, so the installed module knows its version."""

    def run(self):
        super().run()
        path = os.path.join(self.build_lib, "modeplatform_client", "_version.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'"""The package\'s version (clients/VERSION when it was built)."""\n\n__version__ = "{VERSION}"\n')


setup(
    version=VERSION,
    packages=["modeplatform_client", *gen_packages],
    package_dir={
        "modeplatform_client": "src/modeplatform_client",
        **{p: os.path.join("_gen", *p.split(".")) for p in gen_packages},
    },
    package_data={"": ["*.pyi", "py.typed"]},
    cmdclass={"build_py": BuildPy},
    zip_safe=False,
)
