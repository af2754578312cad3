"""Canned responses: saved replies an agent inserts by typing ``/`` and a shortcut."""
