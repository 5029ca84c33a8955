"""Build hook: the wheel carries the report notebooks inside the package.

``notebooks/`` at the project root is the single source of the report (analysts edit it
there). A ``pip install .`` without the source tree still needs it, so the build copies
``notebooks/*.ipynb`` to ``shnor_lib/notebooks/`` in the wheel, where
``shnor_lib.report.notebook.locate_notebook`` finds them. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithNotebooks(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads notebooks/ in place
            return
        target = Path(self.build_lib) / "shnor_lib" / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted(Path(__file__).resolve().parent.glob("notebooks/*.ipynb")):
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": BuildPyWithNotebooks})
