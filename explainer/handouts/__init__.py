"""Stage 9, handouts: a teacher's sheets, keys and variants: variants drawn (`variants`,
`graph_variants`), sheets laid out (`sheet`, `graph_sheet`), typeset (`typeset`), and the
batch made and compiled (`batch`).
"""
