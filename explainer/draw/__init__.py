"""Stage 6, explain (figures): drawings as plain data: shapes and labels (`drawing`), label
placement (`layout`), the network and its plots (`figures`), the circuit (`circuit_figure`).
"""
