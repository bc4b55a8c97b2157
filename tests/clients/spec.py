"""Reads the spec.txt that tests/clients/run.py writes (see its docstring)."""
import urllib.parse


def read_spec(path):
    """[{name, user, sql, columns: [(name, type)], rows: [[canonical text or None]]}]"""
    entries = []
    with open(path) as handle:
        for line in handle.read().splitlines():
            tag, *fields = line.split("\t")
            if tag == "E":
                entries.append({"name": fields[0], "user": fields[1], "columns": [], "rows": []})
            elif tag == "S":
                entries[-1]["sql"] = urllib.parse.unquote(fields[0])
            elif tag == "C":
                entries[-1]["columns"].append((fields[0], fields[1]))
            elif tag == "R":
                entries[-1]["rows"].append([None if v == "\\N" else v for v in fields])
    return entries
