"""The handler language's grammar: one Lark file, ``jexl.lark``, and its path."""

from pathlib import Path

GRAMMAR_PATH = Path(__file__).with_name("jexl.lark")
