"""Speed of the whole tool on a generated database: `python -m benchmarks --help`.

Every figure is a median after a warm-up, and every screen is compared with a trivial page (or
a trivial app, in the browser) measured in the same run on the same machine. Benchmarks print
numbers; no test asserts a duration."""
