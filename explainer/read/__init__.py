"""Stage 1, read: TOML in, checked, and resolved into one frozen plan: the scenario readers
(`scenario` for either form, `graph_scenario`), the key reader, claims, the expression grammar,
the options (`settings`), the cost forecast and the `[handout]` table. The only code that sees
raw dicts and strings.
"""
