"""Only what pyproject.toml cannot say: a wheel (``pip install .``) carries the shipped model.

The model lives at the top of the repository in ``models/peer-charting`` (``train.py`` writes it there);
building a wheel copies it into the package as ``classifier/data/model`` so that an install which is
not a clone (a Dask worker machine) finds it too (``classifier/locations.py``).
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODEL = Path(__file__).resolve().parent / "models" / "peer-charting"


class build_py_with_model(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the clone, which has models/peer-charting itself
        if not (MODEL / "model.skops").is_file():
            raise SystemExit(f"{MODEL}: the shipped model is missing; train it with train.py before building")
        target = Path(self.build_lib) / "classifier" / "data" / "model"
        target.mkdir(parents=True, exist_ok=True)
        for name in ("model.skops", "model_card.json", "MODEL_CARD.md"):
            if (MODEL / name).is_file():
                shutil.copy2(MODEL / name, target / name)


setup(cmdclass={"build_py": build_py_with_model})
