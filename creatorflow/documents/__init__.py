"""Printable documents: label sheets (``labels``), packing slips and pick lists."""
