"""Tests of the {{ cookiecutter.module_name }} package; run with `make test`."""
