"""The data sets the chapters use: generated ones, scikit-learn's digits, and loaders for larger sets.

No function here downloads anything: larger data sets are read from files the user already has.
"""
