"""Self-contained HTML and Markdown renderings of results; charts work offline.
"""

__all__: list[str] = []
