#!/usr/bin/env python3
"""Writes the SQL view walkable_roads from a walkability table (config/walkability.json): the
pgRouting cross-check's own reading of the rule, so that it checks Gridmap's rather than
repeating it.

Usage: walkable_view.py WALKABILITY_JSON COLUMN...   (the columns src_roads has)

A road is left out when any of its class values (the class_fields it has, lower-cased and
trimmed) is an excluded class; walked when one is a pedestrian class; otherwise walked when it
is a walk class (or any class, with walk_unknown_classes) unless its name holds an excluded part
or a tunnel field says yes. Levels are not read: the check refuses a roads layer that has a
level, bridge or tunnel field, whose crossings it does not model.
"""
import json
import sys


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_text(text):
    return "'" + text.replace("'", "''") + "'"


def text_list(values):
    return "(" + ", ".join(quote_text(v.strip().lower()) for v in values) + ")"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: walkable_view.py WALKABILITY_JSON COLUMN...")
    table = json.load(open(sys.argv[1], encoding="utf-8"))
    columns = {c.lower(): c for c in sys.argv[2:]}
    levelled = [f for key in ("level_fields", "bridge_fields", "tunnel_fields") for f in table[key] if f.lower() in columns]
    if levelled:
        sys.exit("walkable_view.py: the roads have level fields (%s); this check does not model levels" % ", ".join(levelled))
    classes = [columns[f.lower()] for f in table["class_fields"] if f.lower() in columns]
    names = [columns[f.lower()] for f in table["name_fields"] if f.lower() in columns]
    values = ["lower(btrim(coalesce(r.%s::text, '')))" % quote_ident(c) for c in classes]
    any_in = lambda key: " OR ".join("%s IN %s" % (v, text_list(table[key])) for v in values) or "false"
    name_hit = " OR ".join("coalesce(r.%s::text, '') LIKE %s" % (quote_ident(n), quote_text("%" + part + "%"))
                           for n in names for part in table["excluded_name_parts"]) or "false"
    walk_class = "true" if table["walk_unknown_classes"] else any_in("walk_classes")
    print("CREATE VIEW walkable_roads AS\nSELECT r.fid, r.geom\nFROM src_roads r\nWHERE NOT (%s)\n  AND ((%s)\n       OR ((%s) AND NOT (%s)));"
          % (any_in("excluded_classes"), any_in("pedestrian_classes"), walk_class, name_hit))


main()
