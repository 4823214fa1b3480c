"""Figures and interactive figures of the book, one module per topic (``nbcourse.figures.<topic>``).

Algorithm modules (``nbcourse.losses``, ``nbcourse.descent``, ...) import no plotting code; the
figures that show them live here and are imported by the pages that draw them.
"""
