"""Rules: the tables every later stage reads: the operations a graph can contain (operations.py,
one row each) and the network form's activations and losses (activations.py).
"""
