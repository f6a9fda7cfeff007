"""The optional C reader and checks (loader/_scan.c). Where they cannot be compiled,
casegraph installs without them, reads every file with PyYAML and checks every record in
Python; everything else is in pyproject.toml."""

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
