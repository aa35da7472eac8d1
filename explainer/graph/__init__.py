"""Stage 2, build: the graph of a scenario: a network's nodes as sympy expressions (`network`), a
computational graph's gates (`circuit`).
"""
