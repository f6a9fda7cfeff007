"""The optional C reader (loader/read/_scan.c). Where it cannot be compiled,
casegraph installs without it and reads every file with PyYAML, with the same results;
everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "loader.read._scan",
            ["loader/read/_scan.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
        )
    ]
)
