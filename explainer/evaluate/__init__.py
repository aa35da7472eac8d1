"""Stage 4, evaluate: every number: the arithmetic modes, the worked step (`worked`, a circuit's
`backprop`), training (`trainer`, the compiled loops `compiled` and `graph_step`,
`graph_training`), one convention's run (`compute`), JSON keys (`quantities`), the figures'
sample points, and the autograd cross-check.
"""
