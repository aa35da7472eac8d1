"""Stage 9, handouts: a teacher's sheets, keys and variants: one module per view (`layered`,
`gates`: its variants drawn and a variant's sheet laid out, by `variants`, `graph_variants` and
`sheet`), typeset (`typeset`), and the batch made and compiled (`batch`).
"""
