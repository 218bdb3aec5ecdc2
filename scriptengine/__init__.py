"""The handler language (Apache Commons JEXL 3) re-implemented in Python."""
