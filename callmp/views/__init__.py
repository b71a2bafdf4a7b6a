"""The web layer: blueprints, forms, presenters and the glue they share (``context``).

The only package (with the app factory and the CLI) that imports Flask.
"""
