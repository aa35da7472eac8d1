"""Stage 8, render and compile: the page model printed through the templates (`formats`),
MathML, PDF by TeX Live (`pdf`), and files written whole (`output`).
"""
