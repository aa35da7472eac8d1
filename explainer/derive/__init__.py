"""Stage 3, derive: the chain rule, symbolically: a network's equations per parameter
(`derivation`), a circuit's local derivatives per gate (`local`). No numbers.
"""
