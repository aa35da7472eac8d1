"""Foundation: what every stage uses: errors, limits, number formatting (precision), the LaTeX
symbol grammar, the bound on sympy's work, child processes and the package's resources.
"""
