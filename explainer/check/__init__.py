"""Stage 5, check: published numbers against computed ones, each that does not reproduce
diagnosed (`verify`, `working`, `printed`, `findings`), the gradients checked (`gradients`), and
everything a page shows gathered with them (`results`: one Results for either view, whose own
numbers `layered` and `gates` compute).
"""
