"""Only what pyproject.toml cannot say: the package list with the mapped ``evals.builtin_corpora``.

``[tool.setuptools.packages.find]`` finds directories only, and the built-in
corpora live in ``corpora/`` (where ``mteval corpus build`` writes them), mapped
to ``evals.builtin_corpora`` by ``[tool.setuptools.package-dir]``; so the list
is every ``evals*`` package found plus that one.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["evals*"]), "evals.builtin_corpora"])
