"""sitechat benchmarks: `make bench` (or `.venv/bin/python -m bench --help`).

Measurements, not tests: nothing here fails a build, and pytest never collects it
(``testpaths = ["tests"]``, and no file here is named ``test_*.py``).
"""
