"""The optional C reader (loader/_scan.c). Where it cannot be compiled, casegraph installs
without it and reads every file with PyYAML; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "loader._scan",
            ["loader/_scan.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
        )
    ]
)
